#!/usr/bin/env python3
"""Where a gateway's per-connection objects lie in its heap: a heap dump's objects of the classes
that come one or two per connection, in address order, and how often an object's neighbour is of
its own class.

usage: jcmd <gateway pid> GC.heap_dump -all /tmp/gw.hprof; python3 benchmarks/load/layout.py /tmp/gw.hprof

HotSpot's HPROF names each object by its address at the time of the dump (-all: no collection
first, so nothing moves). A collector that copies breadth first puts each level of every
connection's object graph together (all the channels, then all the pipelines, ...): long runs of
one class. One that copies depth first puts each connection's objects next to one another: a
neighbour of another class. Printed: the share of neighbours (objects next in address order among
those counted) of the same class; the median gap in bytes between an object and the next of another
class; and, for each socket channel, its objects of those classes within three references of it,
and how many cache lines and pages they lie on (medians over the channels).
"""
import collections
import statistics
import struct
import sys

TYPE_SIZES = {4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}


def read(path):
    data = open(path, "rb").read()
    nul = data.index(b"\0")
    ids = struct.unpack_from(">I", data, nul + 1)[0]
    idfmt = ">Q" if ids == 8 else ">I"
    pos = nul + 1 + 4 + 8
    strings, class_names, instances = {}, {}, []
    classes = {}  # class id -> (super id, [(field name id, type)])
    fields_of = {}  # object id -> (class id, offset of its field bytes)

    def ident(p):
        return struct.unpack_from(idfmt, data, p)[0]

    while pos < len(data):
        tag, _, length = struct.unpack_from(">BII", data, pos)
        pos += 9
        end = pos + length
        if tag == 0x01:
            strings[ident(pos)] = data[pos + ids:end].decode("utf-8", "replace")
        elif tag == 0x02:
            class_names[ident(pos + 4)] = ident(pos + 8 + ids)
        elif tag in (0x0C, 0x1C):
            p = pos
            while p < end:
                sub = data[p]
                p += 1
                if sub == 0xFF or sub == 0x05 or sub == 0x07:
                    p += ids
                elif sub == 0x01:
                    p += 2 * ids
                elif sub in (0x02, 0x03, 0x08):
                    p += ids + 8
                elif sub in (0x04, 0x06):
                    p += ids + 4
                elif sub == 0x20:
                    cid = ident(p)
                    sup = ident(p + ids + 4)
                    p += 7 * ids + 8
                    (n,) = struct.unpack_from(">H", data, p)
                    p += 2
                    for _ in range(n):
                        t = data[p + 2]
                        p += 3 + (ids if t == 2 else TYPE_SIZES[t])
                    (n,) = struct.unpack_from(">H", data, p)
                    p += 2
                    for _ in range(n):
                        t = data[p + ids]
                        p += ids + 1 + (ids if t == 2 else TYPE_SIZES[t])
                    (n,) = struct.unpack_from(">H", data, p)
                    p += 2
                    classes[cid] = (sup, [(ident(p + i * (ids + 1)), data[p + i * (ids + 1) + ids]) for i in range(n)])
                    p += n * (ids + 1)
                elif sub == 0x21:
                    obj = ident(p)
                    cls = ident(p + ids + 4)
                    (nbytes,) = struct.unpack_from(">I", data, p + 2 * ids + 4)
                    instances.append((obj, cls))
                    fields_of[obj] = (cls, p + 2 * ids + 8)
                    p += 2 * ids + 8 + nbytes
                elif sub == 0x22:
                    (n,) = struct.unpack_from(">I", data, p + ids + 4)
                    p += 2 * ids + 8 + n * ids
                elif sub == 0x23:
                    (n,) = struct.unpack_from(">I", data, p + ids + 4)
                    t = data[p + ids + 8]
                    p += ids + 9 + n * TYPE_SIZES[t]
                else:
                    sys.exit(f"unknown heap dump sub-record 0x{sub:02x} at {p - 1}")
        pos = end
    names = {c: strings.get(s, "?").replace("/", ".") for c, s in class_names.items()}

    def references(obj):
        """The object references an instance's fields hold (its class's fields first, then its super's)."""
        if obj not in fields_of:
            return []
        cls, p = fields_of[obj]
        out = []
        while cls in classes:
            sup, fields = classes[cls]
            for _, t in fields:
                if t == 2:
                    ref = ident(p)
                    if ref:
                        out.append(ref)
                    p += ids
                else:
                    p += TYPE_SIZES[t]
            cls = sup
        return out

    return [(obj, names.get(cls, "?")) for obj, cls in instances], references


def is_socket_channel(name):
    """A connection's channel (a client's or an origin's), not a listener's."""
    return name.endswith("SocketChannel") and "Server" not in name


def main():
    objects, references = read(sys.argv[1])
    counts = collections.Counter(name for _, name in objects)
    channels = sum(n for name, n in counts.items() if is_socket_channel(name))
    chosen = {name for name, n in counts.items()
              if (name.startswith("io.netty.channel") or name.startswith("dev.edgegateway"))
              and channels / 2 <= n <= 2 * channels}
    picked = sorted((obj, name) for obj, name in objects if name in chosen)
    same = sum(1 for a, b in zip(picked, picked[1:]) if a[1] == b[1])
    gaps = []
    for i, (obj, name) in enumerate(picked):
        for other, other_name in picked[i + 1:i + 200]:
            if other_name != name:
                gaps.append(other - obj)
                break
    print(f"{channels} socket channels; {len(chosen)} classes with {channels // 2} to {2 * channels} objects, "
          f"{len(picked)} objects: {same / max(1, len(picked) - 1):.1%} of neighbours of the same class, "
          f"median gap to the next object of another class {statistics.median(gaps) if gaps else 0:.0f} bytes")
    # Each socket channel's own objects: those of the chosen classes within three references of it.
    kind = dict(picked)
    counted, lines, pages = [], [], []
    for obj, name in objects:
        if not is_socket_channel(name):
            continue
        seen, frontier = {obj}, [obj]
        for _ in range(3):
            frontier = [r for o in frontier for r in references(o) if r in kind and r not in seen]
            seen.update(frontier)
        counted.append(len(seen))
        lines.append(len({a >> 6 for a in seen}))
        pages.append(len({a >> 12 for a in seen}))
    if counted:
        print(f"a socket channel and its objects of those classes within three references ({len(counted)} channels), "
              f"medians: {statistics.median(counted):.0f} objects on {statistics.median(lines):.0f} cache lines "
              f"(64 bytes) and {statistics.median(pages):.0f} pages (4 KiB)")
    for name in sorted(chosen, key=lambda n: -counts[n])[:12]:
        print(f"  {counts[name]:6d} {name}")


if __name__ == "__main__":
    main()
