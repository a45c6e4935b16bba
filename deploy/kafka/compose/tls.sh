#!/usr/bin/env bash
# The compose broker's TLS material, made once with keytool (the Kafka image has it) into
# the kafka-tls volume, mounted on /etc/kafka/secrets, which the image's user owns: a CA,
# the broker's certificate for `kafka` and `localhost` signed by it, and ca.pem for the
# clients. Development only: a real cluster's CA is yours.
set -euo pipefail
cd /etc/kafka/secrets
if [[ -s broker.p12 && -s ca.pem ]]; then
  echo "kafka-tls: certificates already made"
  exit 0
fi
umask 077
password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
printf '%s' "$password" > keystore.password
keytool -genkeypair -alias ca -dname "CN=fleetwire compose CA" -keyalg RSA -keysize 2048 \
  -validity 3650 -ext bc:c -keystore ca.p12 -storetype PKCS12 -storepass "$password"
keytool -exportcert -rfc -alias ca -keystore ca.p12 -storepass "$password" -file ca.pem
keytool -genkeypair -alias broker -dname "CN=kafka" -keyalg RSA -keysize 2048 -validity 825 \
  -keystore broker.p12 -storetype PKCS12 -storepass "$password"
keytool -certreq -alias broker -keystore broker.p12 -storepass "$password" -file broker.csr
keytool -gencert -alias ca -keystore ca.p12 -storepass "$password" -infile broker.csr \
  -outfile broker.pem -rfc -validity 825 -ext SAN=dns:kafka,dns:localhost \
  -ext KU=digitalSignature,keyEncipherment -ext EKU=serverAuth
keytool -importcert -noprompt -alias ca -keystore broker.p12 -storepass "$password" -file ca.pem
keytool -importcert -alias broker -keystore broker.p12 -storepass "$password" -file broker.pem
rm -f broker.csr
chmod 0644 ca.pem  # the clients' trust anchor, not a secret
echo "kafka-tls: certificates made"
