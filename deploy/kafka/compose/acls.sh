# fleetwire ACLs; run as a super-user, /etc/kafka/secrets/admin.properties holding its client settings
# ingress: User:fleetwire-ingress
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-ingress --operation Write --operation Describe --topic fleetwire.raw. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-ingress --operation IdempotentWrite --cluster
# processor: User:fleetwire-processor
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-processor --operation Read --operation Describe --topic fleetwire.raw. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-processor --operation Read --group fleetwire.processor --resource-pattern-type literal
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-processor --operation Write --operation Describe --topic fleetwire.canonical. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-processor --operation Write --operation Describe --topic fleetwire.dlq. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-processor --operation Write --operation Describe --transactional-id fleetwire. --resource-pattern-type prefixed
# replay: User:fleetwire-replay
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-replay --operation Read --operation Describe --topic fleetwire.dlq. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-replay --operation Write --operation Describe --topic fleetwire.raw. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-replay --operation Read --operation Write --operation Describe --topic fleetwire.replay-ledger --resource-pattern-type literal
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-replay --operation Write --operation Describe --transactional-id fleetwire. --resource-pattern-type prefixed
# topics: User:fleetwire-topics
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-topics --operation Create --operation Alter --operation Describe --operation DescribeConfigs --operation AlterConfigs --topic fleetwire. --resource-pattern-type prefixed
# consumer: User:fleetwire-consumer
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-consumer --operation Read --operation Describe --topic fleetwire.canonical. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-consumer --operation Read --group fleetwire.consumer --resource-pattern-type literal
# poller: User:fleetwire-poller
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-poller --operation Write --operation Describe --topic fleetwire.raw. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-poller --operation Read --operation Write --operation Describe --topic fleetwire.poll-positions --resource-pattern-type literal
kafka-acls.sh --bootstrap-server kafka:9094 --command-config /etc/kafka/secrets/admin.properties --add --allow-principal User:fleetwire-poller --operation Write --operation Describe --transactional-id fleetwire.poll. --resource-pattern-type prefixed
