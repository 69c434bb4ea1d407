#!/usr/bin/env python3
"""Generate an OpenSG configuration with N dynamic-endpoint service sets,
each with its access profile, inside and outside units (the inside unit is
its shared pool) on one of 40 simulated service PICs, in brace text.
About 15 statements per service set: ~150,000 at N = 10,000."""
import sys


def generate(n):
    pics = 40
    per_pic = (n + pics - 1) // pics
    out = ["system {", "    host-name bench;", "}", "interfaces {",
           "    ge-0/0/1 {", "        unit 0 {", "            family inet {",
           "                address 198.18.0.1/16;", "            }", "        }", "    }"]
    for p in range(pics):
        first = p * per_pic
        sets = range(first, min(n, first + per_pic))
        if not sets:
            break
        out.append(f"    ms-{p // 4}/{p % 4}/0 {{")
        for k, i in enumerate(sets):
            out += [f"        unit {2 * k + 1} {{", "            family inet;",
                    "            service-domain inside;", "            dial-options {",
                    f"                ipsec-interface-id pool{i};", "                shared;",
                    "            }", "        }",
                    f"        unit {2 * k + 2} {{", "            family inet;",
                    "            service-domain outside;", "        }"]
        out.append("    }")
    out += ["}", "access {"]
    for i in range(n):
        out += [f"    profile p{i} {{", "        client * {", "            ike {",
                "                allowed-proxy-pair {",
                f"                    remote 10.{i // 256 % 256}.{i % 256}.0/24 local "
                "192.0.2.0/24;", "                }",
                '                pre-shared-key ascii-text "$9$ewkMLNs2aikPdbkP5Q9CKM8"; '
                "## SECRET-DATA", f"                interface-id pool{i};",
                "            }", "        }", "    }"]
    out += ["}", "services {"]
    for i in range(n):
        p, k = divmod(i, per_pic)
        dev = f"ms-{p // 4}/{p % 4}/0"
        out += [f"    service-set s{i} {{", "        next-hop-service {",
                f"            inside-service-interface {dev}.{2 * k + 1};",
                f"            outside-service-interface {dev}.{2 * k + 2};", "        }",
                "        ipsec-vpn-options {",
                f"            local-gateway 198.18.{i // 256 % 256 + 1}.{i % 256};",
                f"            ike-access-profile p{i};", "        }", "    }"]
    out.append("}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate(int(sys.argv[1])))
