#!/bin/bash
# Makes the certificates of the identity and certificate tests
# (tests/ike/identity_exchange_test.cc) with the openssl CLI. It replaces
# every *.pem and *.key file in its own folder. The outputs are committed,
# so the tests do not depend on the openssl version that runs them.
#
#   root.pem            self-signed root CA, the trust anchor of both nodes
#   inter1.pem          intermediate CA issued by root
#   inter2.pem          intermediate CA issued by inter1
#   other-root.pem      self-signed CA that neither node trusts
#   a.pem / a.key       node A: CN=a.example, SAN IP 10.77.0.1, DNS
#                       a.example, email ike@a.example; issued by root
#   b.key               node B's key, shared by every b-*.pem
#   b.pem               node B like A (10.77.0.2, b.example), issued by root
#   b-chain2.pem        node B issued by inter1, followed by inter1
#   b-inter1.pem        the first certificate of b-chain2.pem alone
#   ca-bundle.pem       root followed by inter1
#   b-chain3.pem        node B issued by inter2, followed by inter2, inter1
#   b-expired.pem       node B valid only in 2001
#   b-other-ca.pem      node B issued by other-root
#   b-nosan.pem         node B without subjectAltName
#   b-multi.pem         subject O=ipop-esp test, CN=b.example + UID=b (one
#                       multi-valued RDN), issued by root
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

days=36500
org="/O=ipop-esp test"

key() { openssl genrsa -out "$1" 2048 2>/dev/null; }

ca_ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"

# self_signed_ca NAME SUBJECT
self_signed_ca() {
  key "$work/$1.key"
  openssl req -x509 -new -key "$work/$1.key" -subj "$2" -days "$days" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem"
}

# issue SUBJECT KEY ISSUER EXTENSIONS OUT [req options...]
issue() {
  local subject=$1 key_file=$2 issuer=$3 extensions=$4 out=$5
  shift 5
  openssl req -new -key "$key_file" -subj "$subject" "$@" -out "$work/req.csr"
  printf '%s\n' "$extensions" >"$work/ext.cnf"
  openssl x509 -req -in "$work/req.csr" -CA "$issuer.pem" -CAkey "$work/$issuer.key" \
    -CAcreateserial -CAserial "$work/serial" -days "$days" -extfile "$work/ext.cnf" -out "$out" 2>/dev/null
}

node_ext() {
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nsubjectAltName=%s\n' "$1"
}

self_signed_ca root "$org/CN=identity test root CA"
self_signed_ca other-root "$org/CN=untrusted identity test CA"
key "$work/inter1.key"
issue "$org/CN=identity test intermediate 1" "$work/inter1.key" root "$ca_ext" inter1.pem
key "$work/inter2.key"
issue "$org/CN=identity test intermediate 2" "$work/inter2.key" inter1 "$ca_ext" inter2.pem

key a.key
issue "$org/CN=a.example" a.key root "$(node_ext "IP:10.77.0.1,DNS:a.example,email:ike@a.example")" a.pem

key b.key
b_san=$(node_ext "IP:10.77.0.2,DNS:b.example,email:ike@b.example")
issue "$org/CN=b.example" b.key root "$b_san" b.pem
issue "$org/CN=b.example" b.key inter1 "$b_san" "$work/b1.pem"
cat "$work/b1.pem" inter1.pem >b-chain2.pem
cp "$work/b1.pem" b-inter1.pem
cat root.pem inter1.pem >ca-bundle.pem
issue "$org/CN=b.example" b.key inter2 "$b_san" "$work/b2.pem"
cat "$work/b2.pem" inter2.pem inter1.pem >b-chain3.pem
issue "$org/CN=b.example" b.key other-root "$b_san" b-other-ca.pem
issue "$org/CN=b.example" b.key root "basicConstraints=CA:FALSE" b-nosan.pem
issue "$org/CN=b.example+UID=b" b.key root "$b_san" b-multi.pem -multivalue-rdn

# openssl x509 -req cannot set dates in the past, so the expired
# certificate comes from openssl ca, which takes explicit dates.
mkdir "$work/ca"
touch "$work/ca/index.txt"
cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = expired
[expired]
database = $work/ca/index.txt
new_certs_dir = $work/ca
serial = $work/ca/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
organizationName = supplied
commonName = supplied
[node]
basicConstraints = CA:FALSE
subjectAltName = IP:10.77.0.2,DNS:b.example,email:ike@b.example
CNF
echo 01 >"$work/ca/serial"
openssl req -new -key b.key -subj "$org/CN=b.example" -out "$work/expired.csr"
openssl ca -batch -config "$work/ca.cnf" -cert root.pem -keyfile "$work/root.key" \
  -startdate 20010101000000Z -enddate 20011231000000Z -extensions node -notext \
  -in "$work/expired.csr" -out b-expired.pem 2>/dev/null
