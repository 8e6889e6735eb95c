"""The dashboard over HTTPS in Debian's chromium (tests/browser/tls.mjs):
the provisioned certificate is trusted by its key (as once the county CA is
installed), the page carries HSTS, the login's cookie is Secure and
HttpOnly, the live stream connects over TLS."""
import base64
import hashlib
import json
import os
import subprocess
import sys
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, SAN_ENV
from browser import tools, BROWSER_DIR

NAME = "minqing.county.example"
USER, PASSWORD = "wang", "dashboard-test-password"


def spki_hash(cert):
    """base64 of the SHA-256 of the certificate's public key (DER)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
                         capture_output=True, check=True, timeout=30).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         capture_output=True, check=True, timeout=30).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def body(env):
    path, node = tools("chromium", "playwright-core")
    prov = env.provision(http_hosts=(NAME,))
    env.start_broker()
    start_hub_http(env)
    add_user(env, USER, "county", "611025", PASSWORD)
    cfg = {"base": f"https://{NAME}:{env.http_port}",
           "name": NAME, "spki": spki_hash(os.path.join(prov, "dashboard.crt")),
           "user": USER, "password": PASSWORD, "chromium": path}
    cfg_path = os.path.join(env.dir, "browser.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    r = subprocess.run([node, os.path.join(BROWSER_DIR, "tls.mjs"), cfg_path],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, **SAN_ENV, "HOME": env.dir})
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    check(r.returncode == 0, "the browser test failed")


run("69-dashboard-tls-browser", body)
