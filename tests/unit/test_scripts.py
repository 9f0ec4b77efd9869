"""The shell scripts' small helpers, run through bash itself."""

import subprocess

from tests.conftest import REPO_ROOT


def shell_function(script: str, name: str) -> str:
    """The text of one function of a script under scripts/, so it can be run without the rest."""
    lines = (REPO_ROOT / "scripts" / script).read_text().splitlines()
    start = lines.index(f"{name}() {{")
    end = lines.index("}", start)
    return "\n".join(lines[start : end + 1])


def test_kafka_cluster_ids_never_start_with_a_dash():
    # Kafka's storage tool reads an id that starts with "-" as an option and refuses to format; one plain random id in
    # 64 does. 2,000 draws miss that case with odds of about 1e-14 if the function did not guard against it.
    body = shell_function("kafka-broker", "cluster_id")
    out = subprocess.run(
        ["bash", "-c", f"{body}\nfor i in $(seq 2000); do cluster_id; done"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()
    assert len(out) == 2000
    assert all(len(i) == 22 and not i.startswith("-") for i in out)
    assert all(set(i) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for i in out)
    assert len(set(out)) == 2000
