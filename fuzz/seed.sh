#!/usr/bin/env bash
# Makes the fuzz targets' seed corpora in fuzz/corpus/<target>/ from the project's own files (certs/, templates,
# docs/) and what the OpenSSL CLI and `qoltanba` make of them. Nothing from ../shared is copied.
# Run from the project root: bash fuzz/seed.sh   (needs `openssl` and a built `target/release/qoltanba`)
set -euo pipefail
cd "$(dirname "$0")/.."
q=target/release/qoltanba
[ -x "$q" ] || cargo build --release
c=fuzz/corpus
mkdir -p "$c"/{certificate,crl,cms,keyfile,seal,pdf,form_data,config,xml}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in certs/*.pem tests/fixtures/openssl/out/*.pem; do
  case "$f" in *.key.pem) continue ;; esac
  openssl x509 -in "$f" -outform DER -out "$c/certificate/$(basename "$f" .pem).der" 2>/dev/null || true
done
for f in certs/crl/*.crl tests/fixtures/openssl/out/*.crl; do
  openssl crl -in "$f" -outform DER -out "$c/crl/$(basename "$f" .crl).der" 2>/dev/null \
    || cp "$f" "$c/crl/$(basename "$f")"
done

printf '{"service":"licence.private-bailiff","applicant":{"iin":"870412300129","name":"ТЕСТОВ ТЕСТ ТЕСТОВИЧ"}}' >"$tmp/app.json"
$q sign-cms --key certs/individual-sign.key.pem --cert certs/individual-sign.pem --chain certs/issuing-ca.pem \
  --in "$tmp/app.json" --out "$c/cms/attached.der" >/dev/null
$q sign-cms --key certs/provider-signer.key.pem --cert certs/provider-signer.pem --detached \
  --in "$tmp/app.json" --out "$c/cms/detached.der" >/dev/null
openssl cms -sign -nodetach -binary -outform DER -in "$tmp/app.json" -signer tests/fixtures/openssl/out/leaf-rsa.pem \
  -inkey tests/fixtures/openssl/out/leaf-rsa.key -out "$c/cms/openssl-rsa.der"
openssl cms -sign -noattr -binary -outform DER -in "$tmp/app.json" -signer certs/legal-head.pem \
  -inkey certs/legal-head.key.pem -out "$c/cms/openssl-noattr.der"

for k in individual-sign provider-signer; do
  openssl pkey -in "certs/$k.key.pem" -outform DER -out "$c/keyfile/$k.p8"
  cp "certs/$k.key.pem" "$c/keyfile/$k.key.pem"
  openssl pkcs12 -export -in "certs/$k.pem" -inkey "certs/$k.key.pem" -passout pass:Qwerty12 \
    -out "$c/keyfile/$k-aes.p12"
  openssl pkcs12 -export -legacy -in "certs/$k.pem" -inkey "certs/$k.key.pem" -passout pass:Qwerty12 \
    -out "$c/keyfile/$k-3des.p12" 2>/dev/null || true
done

sed -n '/<!-- compact-vector -->/,/<!-- end -->/p' docs/seal.md | grep '^QLT1' >"$c/seal/compact-vector.txt"
printf 'QLT1P:1/2:ABCDEF01:AA\nQLT1P:2/2:ABCDEF01:BB' >"$c/seal/parts.txt"

i=0
for form in $($q forms list | grep -v '^ ' | cut -d' ' -f1); do
  $q forms sample "$form" >"$tmp/$form.json"
  { printf "\\x$(printf '%02x' "$i")"; cat "$tmp/$form.json"; } >"$c/form_data/$form.bin"
  i=$((i + 1))
done
for form in reference.birth licence.private-bailiff refusal; do
  $q issue --form "$form" --data "$tmp/$form.json" --out "$c/pdf/$form-compact.pdf" --number QLT-1 \
    --issued-at 2026-11-23T10:00:00Z >/dev/null
done
$q issue --form reference.birth --data "$tmp/reference.birth.json" --out "$c/pdf/reference.birth-full.pdf" \
  --number QLT-2 --issued-at 2026-11-23T10:00:00Z --seal-mode full >/dev/null

cp docs/qoltanba.example.toml "$c/config/example.toml"
printf '[limits]\nshutdown_grace_ms = 3000\n[[issuers]]\nname = "x"\nbin = "040840001231"\nroles = ["first-head"]\n' \
  >"$c/config/issuers.toml"
echo "seeded: $(find "$c" -type f | wc -l) files"

# XML: our signatures (enveloped, co-signed, WS-Security), and small hostile shapes.
printf '<?xml version="1.0"?>\n<!-- c -->\n<application xmlns="urn:a" xmlns:x="urn:x" id="t"><x:b xml:lang="kk">Өтініш &amp; &#13;</x:b><![CDATA[<raw>]]><?pi d?></application>' >"$tmp/app.xml"
$q sign-xml --key certs/individual-sign.key.pem --cert certs/individual-sign.pem --in "$tmp/app.xml" --out "$c/xml/enveloped.xml" >/dev/null
$q sign-xml --key certs/legal-head.key.pem --cert certs/legal-head.pem --in "$c/xml/enveloped.xml" --out "$c/xml/cosigned.xml" >/dev/null
printf '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/><s:Body><m><iin>870412300129</iin></m></s:Body></s:Envelope>' >"$tmp/soap.xml"
$q sign-xml --wsse --key certs/provider-signer.key.pem --cert certs/provider-signer.pem --in "$tmp/soap.xml" --out "$c/xml/wsse.xml" >/dev/null
printf '<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>' >"$c/xml/doctype.xml"
printf '<a><a><a><a><a><a><a><a></a></a></a></a></a></a></a></a>' >"$c/xml/nested.xml"
