#!/usr/bin/env python3
"""Independent DSSE verifier for isoguard findings (Python `cryptography`, not our code).

Usage: dsse_verify.py ENVELOPE.json PUBLIC_KEY.pem
Prints "OK <keyid>" and exits 0 when the ed25519 signature over
PAE(payloadType, payload) verifies with the key; exits 2 on a bad signature,
3 on a keyid mismatch, 4 on a non-ed25519 key.
"""
import base64, hashlib, json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat, load_pem_public_key)

with open(sys.argv[1], "rb") as f:
    env = json.load(f)
with open(sys.argv[2], "rb") as f:
    pub = load_pem_public_key(f.read())
if not isinstance(pub, Ed25519PublicKey):
    print("NOT-ED25519", type(pub)); sys.exit(4)
keyid = hashlib.sha256(pub.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest()
ptype = env["payloadType"].encode("utf-8")
payload = base64.b64decode(env["payload"], validate=True)
pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
sigs = env["signatures"]
if len(sigs) != 1 or sigs[0]["keyid"] != keyid:
    print("KEYID-MISMATCH", keyid, sigs); sys.exit(3)
try:
    pub.verify(base64.b64decode(sigs[0]["sig"], validate=True), pae)
except InvalidSignature:
    print("INVALID"); sys.exit(2)
print("OK", keyid)
