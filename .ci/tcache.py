# gdb script (.ci/run): in a core that glibc aborted for a corrupt tcache entry, prints the crashed
# thread's tcache bins that hold a bad link, and what was written into the freed chunk. Two ways in:
# - aborted from tcache_thread_shutdown (a thread on its way out): its local tcache_tmp;
# - aborted from malloc ("malloc(): unaligned tcache chunk detected"): the thread's own tcache, whose
#   bin head is then the bad link itself, left by the malloc before that took the corrupt chunk.
# Links are safe-linked: stored = next ^ (address of the link >> 12). A link that does not reveal an
# aligned address is printed as stored, and XORed with the tcache's own page (>> 12): chunks and the
# tcache share an arena, so for a small value written over a link (a counter, a length) that XOR is
# small too. A counter, an address or HTTP bytes name the writer.
import gdb


def find_tcache():
    try:
        gdb.execute("frame function tcache_thread_shutdown", to_string=True)
        return gdb.selected_frame().read_var("tcache_tmp"), "tcache_thread_shutdown's tcache_tmp"
    except gdb.error:
        pass
    try:
        t = gdb.parse_and_eval("tcache")
        if int(t) != 0:
            return t, "the crashed thread's tcache"
    except gdb.error as e:
        print("tcache: cannot read the thread's tcache (%s)" % e)
    return None, None


def show(tcache, where):
    inferior = gdb.selected_inferior()
    base = int(tcache)
    print("tcache: %s at %#x" % (where, base))
    bad = 0
    for i in range(64):
        e = int(tcache["entries"][i])
        count = int(tcache["counts"][i])
        seen = 0
        chain = []
        while e != 0 and seen < 16:
            if e % 16 != 0:
                print("tcache bin %d (chunks of %d bytes, %d counted): bad link %#018x after %s; XOR tcache page %#x (bytes %s)"
                      % (i, 32 + 16 * i, count, e, chain or "the head", e ^ (base >> 12), e.to_bytes(8, "little").hex()))
                bad += 1
                break
            try:
                mem = inferior.read_memory(e, 32).tobytes()
            except gdb.MemoryError:
                print("tcache bin %d (chunks of %d bytes): entry %#x unreadable" % (i, 32 + 16 * i, e))
                bad += 1
                break
            chain.append("%#x: %s" % (e, mem[:16].hex()))
            e = int.from_bytes(mem[:8], "little") ^ (e >> 12)
            seen += 1
    if bad == 0:
        print("tcache: no bad link in any bin")


tcache, where = find_tcache()
if tcache is not None:
    show(tcache, where)
