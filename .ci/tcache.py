# gdb script (.ci/run): in a core that glibc aborted from tcache_thread_shutdown, prints the dying
# thread's tcache bins, each entry's first 32 bytes as hex and as text, following each bin's chain
# (safe-linked: next = stored ^ (address >> 12)) to the corrupt link. What was written into a freed
# chunk says who wrote it: a counter, an address, HTTP bytes.
import gdb

try:
    gdb.execute("frame function tcache_thread_shutdown", to_string=True)
    tcache = gdb.selected_frame().read_var("tcache_tmp")
except gdb.error as e:
    print("tcache: no tcache_thread_shutdown frame with its locals (%s)" % e)
else:
    inferior = gdb.selected_inferior()
    for i in range(64):
        e = int(tcache["entries"][i])
        seen = 0
        while e != 0 and seen < 16:
            if e % 16 != 0:
                # glibc stores the revealed link before it checks it: this is what was written into the
                # freed chunk, XOR its address >> 12 (whose top 28 bits are zero: those are as written).
                print("tcache bin %d (chunks of %d bytes): corrupt link %#018x (bytes %s)" % (i, 32 + 16 * i, e, e.to_bytes(8, "little").hex()))
                break
            try:
                mem = inferior.read_memory(e, 32).tobytes()
            except gdb.MemoryError:
                print("tcache bin %d (chunks of %d bytes): entry %#x unreadable" % (i, 32 + 16 * i, e))
                break
            print("tcache bin %d (chunks of %d bytes): entry %#x: %s %r" % (i, 32 + 16 * i, e, mem.hex(), mem))
            e = int.from_bytes(mem[:8], "little") ^ (e >> 12)
            seen += 1
