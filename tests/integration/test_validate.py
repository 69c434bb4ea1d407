#!/usr/bin/env python3
"""Incremental validation agrees with full validation and with stock
xmllint, on random edits.

Starting from docs/examples/sg1.conf, at least 1,000 random edits (set and
delete of statements that reference each other: service sets, profiles,
pools, policies, proposals, routing instances, and values of every leaf
type, valid and invalid) are made through mgd.  After each one:
  inc  = "commit check"       (incremental: no XSD pass)
  full = "commit full check"  (schema rules, the seed's checks and the XSD)
  xl   = stock xmllint --schema schema/configuration.xsd on the candidate
and the test asserts inc == full, and inc ok => xl ok (what the commit
accepts, xmllint accepts).  A value refused at set time must be refused
by xmllint too (values.tsv)."""
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import SRC, Appliance, run  # noqa: E402

EDITS = int(os.environ.get("OPENSG_VALIDATE_EDITS", "1000"))
SEED = int(os.environ.get("OPENSG_VALIDATE_SEED", "20261129"))


def templates(r):
    s, p, k, u, v, m = (r.randrange(3) for _ in range(6))
    unit = r.choice([1, 2, 3, 4, 0])
    dev = r.choice(["ms-1/0/0", "ms-1/1/0", "ams0"])
    return r.choice([
        f"set services service-set S{s} next-hop-service inside-service-interface {dev}.{unit}",
        f"set services service-set S{s} next-hop-service outside-service-interface {dev}.{unit}",
        f"set services service-set S{s} ipsec-vpn-options local-gateway 203.0.113.{r.choice([1, 9])}",
        f"set services service-set S{s} ipsec-vpn-options ike-access-profile P{p}",
        f"set services service-set S{s} ipsec-vpn-rules R{k}",
        f"set services ipsec-vpn rule R{k} term t then remote-gateway 192.0.2.{k + 1}",
        f"set services ipsec-vpn rule R{k} match-direction input",
        f"set access profile P{p} client * ike pre-shared-key ascii-text secret{p}",
        f"set access profile P{p} client * ike interface-id pool{k}",
        f"set access profile P{p} client * ike ike-policy pol{k}",
        f"set access profile P{p} client * ike ipsec-policy ipol{k}",
        f"set access profile P{p} client c{p} ike interface-id pool{k}",
        f"set interfaces {dev} unit {unit} dial-options ipsec-interface-id pool{k}",
        f"set interfaces {dev} unit {unit} dial-options {r.choice(['shared', 'dedicated'])}",
        f"set interfaces {dev} unit {unit} service-domain {r.choice(['inside', 'outside'])}",
        f"set interfaces {dev} unit {unit} family inet",
        f"set routing-instances vrf{v} interface {dev}.{unit}",
        f"set routing-instances vrf{v} instance-type {r.choice(['vrf', 'virtual-router'])}",
        f"set routing-instances vrf{v} route-distinguisher 65000:{v}",
        f"set routing-instances vrf{v} vrf-target target:65000:{v}",
        f"set services ipsec-vpn ike policy pol{k} proposals prop{m}",
        f"set services ipsec-vpn ike proposal prop{m} authentication-method "
        f"{r.choice(['pre-shared-keys', 'rsa-signatures'])}",
        f"set services ipsec-vpn ipsec policy ipol{k} proposals iprop{m}",
        f"set services ipsec-vpn ipsec proposal iprop{m} protocol esp",
        f"set routing-options static route 10.{v}.0.0/16 next-hop {dev}.{unit}",
    ])


def complete_set(r):
    """A whole service set with its units, pool and profile: often valid."""
    k = r.randrange(6)
    pic = f"ms-2/{k % 4}/0"
    return [f"set interfaces {pic} unit {10 + k} family inet",
            f"set interfaces {pic} unit {10 + k} service-domain inside",
            f"set interfaces {pic} unit {10 + k} dial-options ipsec-interface-id xpool{k}",
            f"set interfaces {pic} unit {10 + k} dial-options shared",
            f"set interfaces {pic} unit {20 + k} family inet",
            f"set interfaces {pic} unit {20 + k} service-domain outside",
            f"set access profile XP{k} client * ike pre-shared-key ascii-text key{k}",
            f"set access profile XP{k} client * ike interface-id xpool{k}",
            f"set services service-set XS{k} next-hop-service inside-service-interface "
            f"{pic}.{10 + k}",
            f"set services service-set XS{k} next-hop-service outside-service-interface "
            f"{pic}.{20 + k}",
            f"set services service-set XS{k} ipsec-vpn-options local-gateway 203.0.113.1",
            f"set services service-set XS{k} ipsec-vpn-options ike-access-profile XP{k}"]


def load_values():
    out = []
    for line in open(os.path.join(SRC, "tests/schema/values.tsv")):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 3:
            out.append(tuple(parts))
    return out


# leaf paths (with a {} for the value) of some value types of values.tsv
TYPED = {
    "ipv4-address": "services service-set S0 ipsec-vpn-options local-gateway {}",
    "ipv4-prefix": "interfaces ge-0/0/5 unit 0 family inet address {}",
    "ipv6-prefix": "interfaces ge-0/0/5 unit 0 family inet6 address {}",
    "identifier": "services service-set S0 ipsec-vpn-options ike-access-profile {}",
    "interface-unit": "services service-set S0 next-hop-service inside-service-interface {}",
    "hostname": "system host-name {}",
}


def xmllint_ok(xml):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
        name = f.name
    try:
        p = subprocess.run(["xmllint", "--noout", "--schema",
                            os.path.join(SRC, "schema/configuration.xsd"), name],
                           capture_output=True, text=True)
        return p.returncode == 0, p.stderr
    finally:
        os.unlink(name)


def candidate_xml(c):
    out = c.edit("show", display="xml").output
    start = out.index("<configuration")
    return out[start:out.index("</configuration>") + len("</configuration>")] \
        if "</configuration>" in out else out[start:]


def test_random_edits_agree():
    r = random.Random(SEED)
    values = [v for v in load_values() if v[0] in TYPED]
    a = Appliance().start_mgd()
    try:
        c = a.client()
        c.configure()
        c.edit("load override terminal", input=open(os.path.join(SRC,
                                                                 "docs/examples/sg1.conf")).read())
        stats = {"edits": 0, "accepted": 0, "refused": 0, "value-refused": 0}
        for i in range(EDITS):
            if r.random() < 0.15 and values:
                typ, value, verdict = r.choice(values)
                line = "set " + TYPED[typ].format('"' + value + '"' if value else '""')
                res = c.edit(line)
                if verdict == "invalid":
                    assert res.error, (line, res.output)
                    stats["value-refused"] += 1
                    continue
            elif r.random() < 0.25:
                lines = [x for x in c.edit("show", display="set").output.splitlines()
                         if x.startswith("set ") and "system" not in x]
                if not lines:
                    continue
                line = "delete " + r.choice(lines)[4:]
                res = c.edit(line)
            elif r.random() < 0.3:
                lines = complete_set(r)
                for line in lines:
                    c.edit(line)
            else:
                line = templates(r)
                res = c.edit(line)
            stats["edits"] += 1
            inc = c.edit("commit check")
            full = c.edit("commit full check")
            ok_xl, why = xmllint_ok(candidate_xml(c))
            assert inc.error == full.error, (i, line, inc.output, full.output)
            if not inc.error:
                assert ok_xl, (i, line, why)
                stats["accepted"] += 1
                if r.random() < 0.3:
                    assert c.edit("commit").output.endswith("commit complete\n")
            else:
                stats["refused"] += 1
                if r.random() < 0.5:
                    c.edit("rollback 0")
        print("   ", stats)
        assert stats["edits"] >= EDITS * 0.8 and stats["accepted"] > 50 and stats["refused"] > 50
    finally:
        a.cleanup()


if __name__ == "__main__":
    sys.exit(run([test_random_edits_agree]))
