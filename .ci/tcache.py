# gdb script (.ci/run): in a core that glibc aborted for a corrupt tcache entry, prints the crashed
# thread's tcache bins that hold a bad link, and what was written into the freed chunk. Two ways in:
# - aborted from tcache_thread_shutdown (a thread on its way out): its local tcache_tmp;
# - aborted from malloc ("malloc(): unaligned tcache chunk detected"): the thread's own tcache, whose
#   bin head is then the bad link itself, left by the malloc before that took the corrupt chunk.
# Links are safe-linked: stored = next ^ (address of the link >> 12). A link that does not reveal an
# aligned address is printed as revealed (the pointer the bin would follow), and XORed with the
# tcache's own page (>> 12), which undoes the reveal where the chunk's page is near it: chunks and the
# tcache share an arena, so for a small value written over a link (a counter, a length) that XOR is
# small too, but not for a chunk that another arena made (stop 50's: 0xfd925). A counter, an address
# or HTTP bytes name the writer. So on the thread-exit path the chunk itself is found too (the head
# of its arena's fastbin, where it has just been freed), and with its address the exact word written
# over the link and the words after it.
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
    first = None
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
                first = first or (i, e)
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
    return first


def arenas():
    """Every malloc arena: the main one and the threads' (a circular list through .next)."""
    try:
        first = gdb.parse_and_eval("&main_arena")
    except gdb.error as e:
        print("tcache: cannot read the arenas (%s)" % e)
        return []
    found, a = [], first
    while int(a) != 0 and len(found) < 256:
        found.append(a)
        a = a["next"]
        if int(a) == int(first):
            break
    return found


def written(bin_index, link):
    """On the thread-exit path the chunk whose link was overwritten has just been freed: tcache is off
    by then, so it went to its arena's fastbin (chunks up to 128 bytes), where it is the head. Its
    address gives the word that was written over the link (stored = link ^ (address >> 12)); the
    rest of it is what the writer or its last owner left there."""
    size = 32 + 16 * bin_index
    if size > 128:
        print("tcache: chunks of %d bytes go to the unsorted bin, not a fastbin: the written chunk is not looked for" % size)
        return
    inferior = gdb.selected_inferior()
    heads = []
    for a in arenas():
        head = int(a["fastbinsY"][bin_index])
        if head != 0:
            heads.append((link ^ ((head + 16) >> 12), head, int(a)))
    if not heads:
        print("tcache: no arena has a chunk in its fastbin of %d-byte chunks" % size)
    # The chunk is the head whose word comes out small (a page's worth of address bits cancel);
    # the three smallest, for the log's tail.
    for value, head, arena in sorted(heads)[:3]:
        mem = inferior.read_memory(head, 16 + size).tobytes()
        print("tcache: arena %#x, fastbin of %d-byte chunks, head chunk %#x: if it is the one, %#x was written over its link (bytes %s)"
              % (arena, size, head, value, value.to_bytes(8, "little").hex()))
        print("tcache:   its size field %s, its words from the link on: %s"
              % (mem[8:16].hex(), " ".join(mem[16 + i:24 + i].hex() for i in range(0, size - 8, 8))))


tcache, where = find_tcache()
if tcache is not None:
    bad = show(tcache, where)
    if bad is not None and where.startswith("tcache_thread_shutdown"):
        written(*bad)
