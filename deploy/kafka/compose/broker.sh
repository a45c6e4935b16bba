#!/usr/bin/env bash
# The compose broker with SASL_SSL: SCRAM-SHA-512 users created at format time from the
# compose secrets, StandardAuthorizer denying whatever no ACL allows, and a client
# configuration for the super-user `admin` (/etc/kafka/secrets/admin.properties) that the
# acls service uses. The controller listener is plain text on the loopback only: the broker reaches its
# own controller as User:ANONYMOUS, which is therefore a super-user, so nothing else may
# reach that port.
set -euo pipefail
KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
DATA=/var/lib/kafka/data
CONFIG=/tmp/server.properties
USERS=(admin fleetwire-ingress fleetwire-processor fleetwire-replay fleetwire-topics fleetwire-consumer fleetwire-poller)
secret() { tr -d '\r\n' < "/run/secrets/$1"; }
jaas() {
  printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="%s";' "$(secret admin)"
}
keystore_password=$(cat /etc/kafka/secrets/keystore.password)
umask 077
cat > "$CONFIG" <<PROPERTIES
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:9093
controller.listener.names=CONTROLLER
listeners=SASL_SSL://:9094,CONTROLLER://127.0.0.1:9093,HOST://:19092
advertised.listeners=SASL_SSL://kafka:9094,HOST://localhost:19092
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT,HOST:SASL_SSL
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$(jaas)
listener.name.host.scram-sha-512.sasl.jaas.config=$(jaas)
ssl.keystore.type=PKCS12
ssl.keystore.location=/etc/kafka/secrets/broker.p12
ssl.keystore.password=$keystore_password
ssl.key.password=$keystore_password
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS
log.dirs=$DATA
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPERTIES
cat > /etc/kafka/secrets/admin.properties <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$(jaas)
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka/secrets/ca.pem
PROPERTIES
scram=()
for user in "${USERS[@]}"; do
  scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(secret "$user")]")
done
"$KAFKA_HOME/bin/kafka-storage.sh" format --ignore-formatted -t "$CLUSTER_ID" -c "$CONFIG" "${scram[@]}"
exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$CONFIG"
