import { isIPv4, isIPv6 } from "node:net";

/**
 * Whether a webhook may connect to an IP address: the ranges below reach the server itself,
 * the operator's network or a cloud's metadata service (a workspace admin choosing a URL must
 * not make the server call those: SSRF). IPv6 forms that carry an IPv4 address (mapped
 * ::ffff:a.b.c.d, compatible ::a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96 and
 * the local-use 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32) are judged by the IPv4
 * addresses inside. Anything that does not parse as an address is refused too.
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (isIPv4(bare)) return ipv4Reason(ipv4Value(bare));
  if (isIPv6(bare)) return ipv6Reason(ipv6Groups(bare));
  return "not an IP address";
}

/** [first address, prefix length, what it is]: IPv4 ranges no webhook may reach. */
const IPV4_FORBIDDEN: [string, number, string][] = [
  ["0.0.0.0", 8, "this network (0.0.0.0/8)"],
  ["10.0.0.0", 8, "private (10.0.0.0/8)"],
  ["100.64.0.0", 10, "carrier-grade NAT (100.64.0.0/10)"],
  ["127.0.0.0", 8, "loopback (127.0.0.0/8)"],
  ["169.254.0.0", 16, "link-local or cloud metadata (169.254.0.0/16)"],
  ["172.16.0.0", 12, "private (172.16.0.0/12)"],
  ["192.0.0.0", 24, "IETF protocol assignments (192.0.0.0/24)"],
  ["192.168.0.0", 16, "private (192.168.0.0/16)"],
  ["198.18.0.0", 15, "benchmarking (198.18.0.0/15)"],
  ["224.0.0.0", 4, "multicast (224.0.0.0/4)"],
  ["240.0.0.0", 4, "reserved or broadcast (240.0.0.0/4)"],
];

function ipv4Value(text: string): number {
  return text.split(".").reduce((value, part) => value * 256 + Number(part), 0);
}

const IPV4_RANGES = IPV4_FORBIDDEN.map(([first, bits, label]) => {
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipv4Value(first) / size) * size;
  return { start, end: start + size - 1, label };
});

function ipv4Reason(value: number): string | undefined {
  return IPV4_RANGES.find((r) => value >= r.start && value <= r.end)?.label;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part becomes two groups). */
function ipv6Groups(text: string): number[] {
  let rest = text.split("%")[0] ?? text;
  const tail: number[] = [];
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(rest);
  if (dotted?.[1]) {
    const v4 = ipv4Value(dotted[1]);
    tail.push(Math.floor(v4 / 65536), v4 % 65536);
    rest = rest.slice(0, dotted.index + 1);
    if (rest.endsWith(":") && !rest.endsWith("::")) rest = rest.slice(0, -1);
  }
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const [head = "", after] = rest.split("::");
  const front = parse(head);
  const back = after === undefined ? [] : parse(after);
  const missing = 8 - front.length - back.length - tail.length;
  return [...front, ...Array(Math.max(0, missing)).fill(0), ...back, ...tail];
}

function ipv6Reason(g: number[]): string | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = g6 * 65536 + g7;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return "unspecified (::)";
  if (zeroTo(7) && g7 === 1) return "loopback (::1)";
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): the IPv4 address inside decides.
  if (zeroTo(5) && (g5 === 0xffff || g5 === 0)) {
    const reason = ipv4Reason(embedded);
    return reason && `IPv4-embedded ${reason}`;
  }
  // ::ffff:0:a.b.c.d (IPv4-translated, SIIT) likewise.
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) {
    const reason = ipv4Reason(embedded);
    return reason && `IPv4-translated ${reason}`;
  }
  // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    const reason = ipv4Reason(embedded);
    return reason && `NAT64 ${reason}`;
  }
  // Local-use NAT64 (64:ff9b:1::/48, RFC 8215): the site picks the prefix length (/48 to /96),
  // so the IPv4 address may sit at any of RFC 6052's positions; any forbidden one refuses it
  // (an address meant as /96 reads as 0.x.x.x at /48: the prefix is site-local, refusing is safe).
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) {
    const candidates = [
      embedded, // /96
      g3 * 65536 + (g4 & 0xff) * 256 + (g5 >> 8), // /48
      (g3 & 0xff) * 16777216 + (g4 & 0xff) * 65536 + g5, // /56
      (g4 & 0xff) * 16777216 + g5 * 256 + (g6 >> 8), // /64
    ];
    const reason = candidates.map(ipv4Reason).find(Boolean);
    return reason && `local-use NAT64 ${reason}`;
  }
  // Teredo (2001::/32) tunnels to the IPv4 server in bits 32–63 and the client whose address is
  // the last 32 bits inverted: either reaching a forbidden range refuses it.
  if (g0 === 0x2001 && g1 === 0) {
    const reason = ipv4Reason(g2 * 65536 + g3) ?? ipv4Reason(0xffffffff - embedded);
    return reason && `Teredo ${reason}`;
  }
  // 6to4 (2002::/16) carries an IPv4 address in bits 16–47.
  if (g0 === 0x2002) {
    const reason = ipv4Reason(g1 * 65536 + g2);
    return reason && `6to4 ${reason}`;
  }
  if ((g0 & 0xffc0) === 0xfe80) return "link-local (fe80::/10)";
  if ((g0 & 0xffc0) === 0xfec0) return "site-local (fec0::/10)";
  // fc00::/7 holds the unique local ranges, AWS's metadata address fd00:ec2::254 among them.
  if ((g0 & 0xfe00) === 0xfc00) return "unique local, private or metadata (fc00::/7)";
  if ((g0 & 0xff00) === 0xff00) return "multicast (ff00::/8)";
  if (g0 === 0x2001 && g1 === 0xdb8) return "documentation (2001:db8::/32)";
  return undefined;
}
