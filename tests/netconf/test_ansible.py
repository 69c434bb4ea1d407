"""Ansible's junipernetworks.junos collection (Debian's ansible package)
against the NETCONF front end through a real sshd: junos_command,
junos_config with lines and with src (check mode showing the diff, then
for real), junos_facts."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nclab  # noqa: E402

nclab.enter_namespace()

from harness import run  # noqa: E402

LAB = None


def playbook(name, tasks, check=False):
    d = os.path.join(LAB.dir, "ansible-" + name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "inventory"), "w") as f:
        f.write("[gw]\nopensg ansible_host=127.0.0.1 ansible_port=%d ansible_user=root "
                "ansible_ssh_private_key_file=%s ansible_connection=ansible.netcommon.netconf "
                "ansible_network_os=junipernetworks.junos.junos\n" % (nclab.PORT11, LAB.key))
    with open(os.path.join(d, "play.yml"), "w") as f:
        f.write("- hosts: gw\n  gather_facts: no\n  tasks:\n" + tasks)
    env = dict(os.environ, ANSIBLE_HOME=d, ANSIBLE_LOCAL_TEMP=d + "/tmp",
               ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=d + "/pc", ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3")
    argv = ["/usr/bin/ansible-playbook", "-i", d + "/inventory", d + "/play.yml"]
    if check:
        argv += ["--check", "--diff"]
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=240)
    try:
        out = json.loads(p.stdout[p.stdout.index("{"):])
    except ValueError:
        raise AssertionError("ansible-playbook printed no JSON:\n" + p.stdout + p.stderr)
    results = [t["hosts"]["opensg"] for t in out["plays"][0]["tasks"]]
    for r in results:
        assert not r.get("failed"), json.dumps(r, indent=1)[:3000]
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return results


def running_text():
    return LAB.client().command("show configuration").text("configuration-text")


def test_junos_command():
    r = playbook("command", """    - junipernetworks.junos.junos_command:
        commands: show version
        display: text
""")[0]
    assert "Hostname: opensg" in r["stdout"][0], r["stdout"]


def test_junos_config_lines_check_then_commit():
    task = """    - junipernetworks.junos.junos_config:
        lines:
          - set system host-name ansible-gw
        comment: from ansible
"""
    r = playbook("lines-check", task, check=True)[0]
    assert r["changed"], r
    assert "+   host-name ansible-gw;" in r["diff"]["prepared"], r["diff"]
    assert "ansible-gw" not in running_text()
    r = playbook("lines", task)[0]
    assert r["changed"], r
    assert "host-name ansible-gw;" in running_text()
    hist = LAB.client().command("show system commit").xml.find(".//commit-history")
    assert hist.findtext("client") == "netconf" and hist.findtext("log") == "from ansible"


def test_junos_config_src():
    src = os.path.join(LAB.dir, "snippet.conf")
    with open(src, "w") as f:
        f.write("system {\n    syslog {\n        file ansible {\n            any warning;\n"
                "        }\n    }\n}\n")
    task = """    - junipernetworks.junos.junos_config:
        src: %s
        src_format: text
        update: merge
""" % src
    r = playbook("src-check", task, check=True)[0]
    assert "+   file ansible {" in r["diff"]["prepared"], r["diff"]
    assert "file ansible" not in running_text()
    playbook("src", task)
    assert "file ansible {" in running_text()


def test_junos_facts():
    r = playbook("facts", """    - junipernetworks.junos.junos_facts:
        gather_subset: min
""")[0]
    f = r["ansible_facts"]
    serial = LAB.client().command("show chassis hardware").xml.find(
        ".//chassis/serial-number").text
    assert f["ansible_net_serialnum"] == serial, f
    assert f["ansible_net_model"] == "opensg", f
    assert f["ansible_net_hostname"], f
    assert f["ansible_net_version"] == LAB.client().command("show version").text(
        "junos-version"), f


def main():
    global LAB
    LAB = nclab.Lab()
    try:
        return run([test_junos_command, test_junos_config_lines_check_then_commit,
                    test_junos_config_src, test_junos_facts])
    finally:
        LAB.cleanup()


if __name__ == "__main__":
    sys.exit(main())
