"""PyEZ (junos-eznc) against the NETCONF front end through a real sshd:
facts (host name, model, version, serial number), Config lock / load /
diff / commit_check / commit / rollback / unlock, private mode, and a
CommitError carrying the [edit ...] path, the bad element and the
message, with the running configuration unchanged."""
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nclab  # noqa: E402

nclab.enter_namespace()
warnings.simplefilter("ignore", SyntaxWarning)

from jnpr.junos import Device  # noqa: E402
from jnpr.junos.exception import CommitError  # noqa: E402
from jnpr.junos.utils.config import Config  # noqa: E402
from harness import run  # noqa: E402

LAB = None


def device():
    return Device(host="127.0.0.1", port=nclab.PORT11, user="root",
                  ssh_private_key_file=LAB.key).open()


def running_text():
    return LAB.client().command("show configuration").text("configuration-text")


def test_facts():
    with device() as dev:
        sw = LAB.client().command("show version")
        assert dev.facts["hostname"] == sw.text("host-name"), dev.facts["hostname"]
        assert dev.facts["model"] == "OPENSG", dev.facts["model"]
        assert dev.facts["version"] == sw.text("junos-version"), dev.facts["version"]
        inv = LAB.client().command("show chassis hardware")
        serial = inv.xml.find(".//chassis/serial-number").text
        assert serial and dev.facts["serialnumber"] == serial, dev.facts["serialnumber"]
        assert dev.facts["RE0"]["status"] == "OK", dev.facts["RE0"]


def test_config_lock_load_commit_rollback():
    with device() as dev:
        cu = Config(dev)
        cu.lock()
        cu.load("set system host-name pyez-1", format="set")
        diff = cu.diff()
        assert "+   host-name pyez-1;" in diff, diff
        assert cu.commit_check() is True
        assert "pyez-1" not in running_text()
        assert cu.commit(comment="from pyez") is True
        assert "host-name pyez-1;" in running_text()
        hist = LAB.client().command("show system commit").xml.find(".//commit-history")
        assert hist.findtext("client") == "netconf" and hist.findtext("log") == "from pyez"
        assert cu.diff() is None
        cu.rollback(1)
        assert "-   host-name pyez-1;" in cu.diff()
        cu.commit()
        assert "pyez-1" not in running_text()
        # a text load replaces (PyEZ's default action for text)
        cu.load("system { host-name pyez-2; }", format="text", merge=True)
        assert "+   host-name pyez-2;" in cu.diff()
        cu.rollback(0)
        assert cu.diff() is None
        cu.unlock()


def test_private_mode():
    with device() as dev:
        with Config(dev, mode="private") as cu:
            cu.load("set system host-name pyez-private", format="set")
            # the shared candidate does not see the private change
            shared = LAB.client().command("show configuration").text("configuration-text")
            assert "pyez-private" not in shared
            cu.commit()
        assert "host-name pyez-private;" in running_text()


def test_commit_error():
    with device() as dev:
        cu = Config(dev)
        cu.lock()
        cu.load("\n".join([
            "set services service-set SG1 next-hop-service inside-service-interface ms-1/0/0.1",
            "set services service-set SG1 next-hop-service outside-service-interface ms-1/0/0.2",
            "set services service-set SG1 ipsec-vpn-options ike-access-profile nope"]),
            format="set")
        before = running_text()
        try:
            cu.commit()
            raise AssertionError("the commit should have failed")
        except CommitError as e:
            errs = e.errs if isinstance(e.errs, list) else [e.rpc_error]
            hit = [x for x in errs
                   if "referenced access profile 'nope' is not defined" in (x["message"] or "")]
            assert hit, errs
            assert hit[0]["edit_path"] == "[edit services service-set SG1 ipsec-vpn-options]"
            assert hit[0]["bad_element"] == "ike-access-profile nope", hit[0]
            assert hit[0]["severity"] == "error"
        assert running_text() == before
        cu.unlock()  # discards the changes
        assert "service-set" not in LAB.client().command(
            "show configuration").text("configuration-text")


def main():
    global LAB
    LAB = nclab.Lab()
    try:
        return run([test_facts, test_config_lock_load_commit_rollback, test_private_mode,
                    test_commit_error])
    finally:
        LAB.cleanup()


if __name__ == "__main__":
    sys.exit(main())
