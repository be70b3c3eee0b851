#!/usr/bin/env bash
# Writes what the two guest nodes need into an initramfs tree: a throwaway CA,
# one certificate per node (CN = node address) made with the openssl CLI, and
# for each ESP proposal two racoon.conf files (nat_traversal on, and force in
# racoon-PROPOSAL-natt.conf) and a setkey policy pair.
#
# Usage: make_node_configs.sh INITRAMFS_ROOT GUEST_DIR
#   Files go to INITRAMFS_ROOT/GUEST_DIR/{a,b}; the configurations name
#   GUEST_DIR paths, because the guest sees the tree as its root.
#   GUEST_DIR/nodes.sh defines the addresses and the proposal names for the
#   guest scripts.
set -euo pipefail

root="${1:?usage: make_node_configs.sh INITRAMFS_ROOT GUEST_DIR}"
guest_dir="${2:?usage: make_node_configs.sh INITRAMFS_ROOT GUEST_DIR}"
readonly address_a="10.99.0.1" address_b="10.99.0.2"

# Each proposal: name, then the sainfo lines for it.
declare -A proposals=(
  [3des-sha1]="encryption_algorithm 3des; authentication_algorithm hmac_sha1;"
  [aes-sha256]="encryption_algorithm aes 128; authentication_algorithm hmac_sha256;"
  [aes-sha256-96]="encryption_algorithm aes 128; authentication_algorithm hmac_sha256_96;"
  [aes-sha512]="encryption_algorithm aes 256; authentication_algorithm hmac_sha512;"
  [aes-gcm]="encryption_algorithm aes_gcm_16 128; authentication_algorithm non_auth;"
)

host_dir="$root/$guest_dir"
mkdir -p "$host_dir/ca"
openssl genrsa -out "$host_dir/ca/rootCA.key" 2048 2>/dev/null
openssl req -x509 -new -nodes -key "$host_dir/ca/rootCA.key" -sha256 -days 2 \
  -subj "/CN=ipop-esp qemu test CA" -out "$host_dir/ca/rootCA.pem"

for node in a b; do
  address_var="address_$node"
  address="${!address_var}"
  dir="$host_dir/$node"
  mkdir -p "$dir/certs"
  openssl genrsa -out "$dir/certs/key.pem" 2048 2>/dev/null
  openssl req -new -key "$dir/certs/key.pem" -subj "/CN=$address" -out "$dir/node.csr"
  openssl x509 -req -in "$dir/node.csr" -CA "$host_dir/ca/rootCA.pem" -CAkey "$host_dir/ca/rootCA.key" \
    -CAcreateserial -days 2 -sha256 -out "$dir/certs/cert.pem" 2>/dev/null
  cp "$host_dir/ca/rootCA.pem" "$dir/certs/rootCA.pem"
  install -m 0600 /dev/null "$dir/psk.txt"

  # `nat_traversal force` floats IKE to port 4500 and encapsulates ESP in
  # UDP although no NAT sits between the nodes.
  for proposal in "${!proposals[@]}"; do
    for nat_traversal in on force; do
      suffix=""
      [ "$nat_traversal" = force ] && suffix="-natt"
      cat >"$dir/racoon-$proposal$suffix.conf" <<EOF
path pre_shared_key "$guest_dir/$node/psk.txt";
path certificate "$guest_dir/$node/certs";

listen
{
    isakmp $address [500];
    isakmp_natt $address [4500];
}

remote anonymous {
    proposal {
        encryption_algorithm 3des;
        hash_algorithm sha1;
        authentication_method rsasig;
        dh_group modp1024;
    }
    certificate_type x509 "cert.pem" "key.pem";
    ca_type x509 "rootCA.pem";
    my_identifier asn1dn;
    verify_identifier off;
    exchange_mode main;
    nat_traversal $nat_traversal;
}

sainfo anonymous {
    pfs_group modp1024;
    compression_algorithm deflate;
    ${proposals[$proposal]}
}
EOF
    done
  done
  cat >"$dir/setkey.conf" <<EOF
spdadd $address_a/32 $address_b/32 any -P $([ "$node" = a ] && echo out || echo in) ipsec esp/transport//require;
spdadd $address_b/32 $address_a/32 any -P $([ "$node" = a ] && echo in || echo out) ipsec esp/transport//require;
EOF
done

# Node b can run strongSwan's charon instead of ipop-espd: the same
# certificate, and one swanctl file per ESP proposal, each with one
# connection, so that charon as responder has only that proposal to choose.
declare -A charon_esp=(
  [3des-sha1]="3des-sha1-modp1024"
  [aes-sha256]="aes128-sha256-modp1024"
  [aes-gcm]="aes128gcm16-modp1024"
)
charon_dir="$host_dir/b/charon"
mkdir -p "$charon_dir/swanctl"/{x509,x509ca,private}
cp "$host_dir/b/certs/cert.pem" "$charon_dir/swanctl/x509/node-b.pem"
cp "$host_dir/b/certs/key.pem" "$charon_dir/swanctl/private/node-b.pem"
cp "$host_dir/ca/rootCA.pem" "$charon_dir/swanctl/x509ca/rootCA.pem"
cat >"$charon_dir/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints gmp aes sha1 sha2 hmac gcm kdf kernel-netlink socket-default vici
  install_routes = no
  filelog {
    guest {
      path = /tmp/charon.log
      time_format = %T
      append = no
      flush_line = yes
      default = 1
      ike = 2
      knl = 2
    }
  }
  plugins {
    vici {
      socket = unix:///run/charon.vici
    }
  }
}
EOF
for proposal in "${!charon_esp[@]}"; do
  cat >"$charon_dir/swanctl/swanctl-$proposal.conf" <<EOF
connections {
  ipop {
    version = 1
    local_addrs = $address_b
    remote_addrs = $address_a
    proposals = 3des-sha1-modp1024
    fragmentation = no
    local {
      auth = pubkey
      certs = node-b.pem
      id = "CN=$address_b"
    }
    remote {
      auth = pubkey
      id = "CN=$address_a"
      cacerts = rootCA.pem
    }
    children {
      ipop {
        mode = transport
        esp_proposals = ${charon_esp[$proposal]}
        start_action = trap
      }
    }
  }
}
EOF
done

# Node b can also run libreswan's pluto. Debian's pluto has no MODP-1024,
# so node a gets racoon-pluto.conf with MODP-2048 in both phases, and pluto
# keeps node b's certificate in an NSS database.
cat >"$host_dir/a/racoon-pluto.conf" <<EOF
path certificate "$guest_dir/a/certs";

listen
{
    isakmp $address_a [500];
    isakmp_natt $address_a [4500];
}

remote anonymous {
    proposal {
        encryption_algorithm aes 128;
        hash_algorithm sha256;
        authentication_method rsasig;
        dh_group modp2048;
    }
    certificate_type x509 "cert.pem" "key.pem";
    ca_type x509 "rootCA.pem";
    my_identifier asn1dn;
    verify_identifier off;
    exchange_mode main;
    nat_traversal on;
}

sainfo anonymous {
    pfs_group modp2048;
    encryption_algorithm aes 128;
    authentication_algorithm hmac_sha256;
}
EOF
pluto_dir="$host_dir/b/pluto"
mkdir -p "$pluto_dir/nss"
if command -v certutil >/dev/null && command -v pk12util >/dev/null; then
  certutil -N -d "sql:$pluto_dir/nss" --empty-password
  openssl pkcs12 -export -in "$host_dir/b/certs/cert.pem" -inkey "$host_dir/b/certs/key.pem" \
    -name node-b -passout pass: -out "$pluto_dir/node-b.p12"
  pk12util -i "$pluto_dir/node-b.p12" -d "sql:$pluto_dir/nss" -W "" >/dev/null
  certutil -A -d "sql:$pluto_dir/nss" -n ipop-ca -t "CT,," -i "$host_dir/ca/rootCA.pem"
fi
install -m 0600 /dev/null "$pluto_dir/ipsec.secrets"
cat >"$pluto_dir/ipsec.conf" <<EOF
config setup
    ikev1-policy=accept
    logfile=/tmp/pluto.log
    plutodebug=none

conn ipop
    ikev2=no
    authby=rsasig
    left=$address_b
    leftcert=node-b
    leftid=%fromcert
    leftupdown=%disabled
    right=$address_a
    rightid="CN=$address_a"
    rightca=%same
    type=transport
    ike=aes128-sha2_256;modp2048
    esp=aes128-sha2_256;modp2048
    pfs=yes
    fragmentation=no
    auto=add
EOF

cat >"$host_dir/nodes.sh" <<EOF
address_a=$address_a
address_b=$address_b
proposals="3des-sha1 aes-sha256 aes-gcm"
EOF
