"""ncclient (Junos device handler) against the NETCONF front end through a
real sshd, in both framings: get-config, lock, load-configuration (text,
set, xml), compare, commit check, commit confirmed, commit, unlock; a
commit refused by a seed rule is an RPCError naming the path, and the
running configuration is unchanged; sessions in `show system users`,
commits `via netconf`, kill-session, operation-not-supported, loads that
hold plain-text-password refused, and the login class of the user running
the front end."""
import os
import pwd
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nclab  # noqa: E402

nclab.enter_namespace()

from lxml import etree  # noqa: E402
from ncclient import manager  # noqa: E402
from ncclient.operations.rpc import RPCError  # noqa: E402
from ncclient.transport.session import NetconfBase  # noqa: E402
from harness import run  # noqa: E402

LAB = None


def connect(port):
    return manager.connect(host="127.0.0.1", port=port, username="root",
                           key_filename=LAB.key, hostkey_verify=False, allow_agent=False,
                           look_for_keys=False, device_params={"name": "junos"}, timeout=60)


def running_text():
    return LAB.client().command("show configuration").text("configuration-text")


def exchange(port, chunked, host):
    with connect(port) as m:
        assert ("urn:ietf:params:netconf:base:1.1" in m.server_capabilities) == chunked
        assert "http://xml.juniper.net/netconf/junos/1.0" in m.server_capabilities
        # the framing both hellos agreed on
        assert (m._session._base == NetconfBase.BASE_11) == chunked, m._session._base
        assert int(m.session_id) >= 1
        conf = m.get_config("running")
        assert conf.xpath("//configuration/system/host-name")[0].text == "opensg" \
            or conf.xpath("//configuration/system/host-name")
        m.lock("candidate")
        m.load_configuration(format="text", config="system { host-name %s; }" % host)
        m.load_configuration(action="set",
                             config=["set system login user %s class operator" % host])
        # ncclient wraps the element in <configuration>
        xml = etree.fromstring("<system><syslog><file><name>%s</name>"
                               "<contents><name>any</name><warning/></contents></file>"
                               "</syslog></system>" % host)
        m.load_configuration(format="xml", config=xml)
        diff = m.compare_configuration().xpath("//configuration-output")[0].text
        assert "+   host-name %s;" % host in diff, diff
        assert re.search(r"^\+\s+user %s \{" % host, diff, re.M), diff
        assert re.search(r"^\+\s+file %s \{" % host, diff, re.M), diff
        r = m.commit(check=True)
        assert r.xpath("//commit-check-success"), r
        assert host not in running_text()
        m.commit(confirmed=True, timeout="120")
        assert "host-name %s;" % host in running_text()
        hist = LAB.client().command("show system commit").xml
        assert hist.find(".//commit-history/client").text == "netconf"
        assert "rollback in 2mins" in hist.find(".//commit-history/comment").text
        m.commit()  # confirms
        assert LAB.client().command("show system commit").xml.find(
            ".//commit-confirmed") is None
        # this session is listed by show system users
        users = LAB.client().command("show system users").xml
        froms = [e.findtext("from") for e in users.iter("user-entry")
                 if e.findtext("command") in ("netconf", "configure")]
        assert "127.0.0.1" in froms, froms
        m.unlock("candidate")
        # a commit refused by a seed rule: an RPCError naming the path
        m.load_configuration(action="set", config=[
            "set services service-set SG1 next-hop-service inside-service-interface ms-1/0/0.1",
            "set services service-set SG1 next-hop-service outside-service-interface ms-1/0/0.2",
            "set services service-set SG1 ipsec-vpn-options local-gateway 203.0.113.1",
            "set services service-set SG1 ipsec-vpn-options ike-access-profile nope"])
        before = running_text()
        try:
            m.commit()
            raise AssertionError("the commit should have failed")
        except RPCError as e:
            errs = [x for x in (e.errors or [e])
                    if "referenced access profile 'nope' is not defined" in (x.message or "")]
            assert errs, str(e)
            assert errs[0].path == "[edit services service-set SG1 ipsec-vpn-options]", \
                errs[0].path
            assert errs[0].severity == "error"
            assert "<bad-element>ike-access-profile nope</bad-element>" in errs[0].info
            assert "configuration check-out failed" in str(e)
        assert running_text() == before
        m.discard_changes()
        diff = m.compare_configuration().xpath("//configuration-output")[0].text
        assert diff.strip() == "", diff


def test_ncclient_chunked():
    exchange(nclab.PORT11, True, "nc-chunked")


def test_ncclient_eom():
    exchange(nclab.PORT10, False, "nc-eom")


def test_commands_and_errors():
    with connect(nclab.PORT11) as m:
        host = m.rpc(etree.fromstring('<get-configuration database="committed"/>')).xpath(
            "//configuration/system/host-name")[0].text
        out = m.command("show version", format="text").xpath("//output")[0].text
        assert "Hostname: %s\n" % host in out, out
        sw = m.rpc(etree.fromstring("<get-software-information/>"))
        assert sw.xpath("//software-information/host-name")[0].text == host
        inv = m.rpc(etree.fromstring("<get-chassis-inventory/>"))
        assert inv.xpath("//chassis/serial-number")[0].text
        try:
            m.rpc(etree.fromstring("<get-no-such-thing/>"))
            raise AssertionError("unknown RPC answered")
        except RPCError as e:
            assert e.tag == "operation-not-supported", e.tag
        # standard operations that are not offered
        try:
            m.copy_config(source="running", target="candidate")
            raise AssertionError("copy-config answered")
        except RPCError as e:
            assert e.tag == "operation-not-supported", e.tag


def test_plain_text_password_refused():
    """plain-text-password belongs to the CLI (it prompts for the password):
    a load that holds it is refused, naming encrypted-password, and the
    candidate is unchanged."""
    with connect(nclab.PORT11) as m:
        xml = etree.fromstring("<system><root-authentication><plain-text-password/>"
                               "</root-authentication></system>")
        loads = (dict(format="xml", config=xml),
                 dict(format="text", config="system { root-authentication { "
                                            "plain-text-password; } }"),
                 dict(action="set", config=["set system root-authentication plain-text-password"]))
        for kw in loads:
            try:
                m.load_configuration(**kw)
                raise AssertionError(f"plain-text-password loaded: {kw}")
            except RPCError as e:
                assert "typed in the CLI only" in str(e) and \
                    "give encrypted-password instead" in str(e), str(e)
        diff = m.compare_configuration().xpath("//configuration-output")[0].text
        assert diff.strip() == "", diff


def test_lock_denied_and_kill_session():
    a = connect(nclab.PORT11)
    b = connect(nclab.PORT10)
    try:
        a.lock("candidate")
        try:
            b.lock("candidate")
            raise AssertionError("second lock granted")
        except RPCError as e:
            assert e.tag == "lock-denied", e.tag
            assert "<session-id>%s</session-id>" % a.session_id in e.info, e.info
        b.kill_session(a.session_id)
        # a's lock went with its session
        nclab.wait_for(lambda: _try_lock(b), what="lock after kill-session")
        b.unlock("candidate")
    finally:
        b.close_session()


def _try_lock(m):
    try:
        m.lock("candidate")
        return True
    except RPCError:
        return False


def test_login_class_read_only():
    """netconf run as another user (on pipes, as sshd would run it): a
    read-only user reads but may not load or lock."""
    nobody = pwd.getpwnam("nobody")
    hello = ('<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
             '<capability>urn:ietf:params:netconf:base:1.0</capability></capabilities>'
             '</hello>]]>]]>')
    rpcs = ('<rpc message-id="1"><get-config><source><running/></source></get-config></rpc>'
            ']]>]]><rpc message-id="2"><load-configuration action="set"><configuration-set>'
            'set system host-name ro</configuration-set></load-configuration></rpc>]]>]]>'
            '<rpc message-id="3"><lock><target><candidate/></target></lock></rpc>]]>]]>'
            '<rpc message-id="4"><close-session/></rpc>]]>]]>')

    def as_nobody():
        p = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                            "--clear-groups", nclab.exe("mgd/netconf/netconf"), "--root",
                            LAB.app.root, "--base", "1.0"], input=hello + rpcs,
                           capture_output=True, text=True, timeout=60)
        return p.stdout.split("]]>]]>")
    out = as_nobody()
    # not in system login: refused everything
    assert "<error-tag>access-denied</error-tag>" in out[1], out[1]
    c = LAB.client()
    c.rpc('<open-configuration/>')
    c.edit("set system login user nobody class read-only")
    c.edit("commit")
    c.rpc('<close-configuration/>')
    try:
        out = as_nobody()
        assert "<data>" in out[1] and "<host-name>" in out[1], out[1]
        assert "<error-tag>access-denied</error-tag>" in out[2], out[2]
        assert "<error-tag>access-denied</error-tag>" in out[3], out[3]
        assert "<ok/>" in out[4], out[4]
    finally:
        c.rpc('<open-configuration/>')
        c.edit("delete system login user nobody")
        c.edit("commit")
        c.rpc('<close-configuration/>')


def main():
    global LAB
    LAB = nclab.Lab()
    try:
        return run([test_ncclient_chunked, test_ncclient_eom, test_commands_and_errors,
                    test_plain_text_password_refused, test_lock_denied_and_kill_session,
                    test_login_class_read_only])
    finally:
        LAB.cleanup()


if __name__ == "__main__":
    sys.exit(main())
