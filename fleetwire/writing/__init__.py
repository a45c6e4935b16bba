"""The Kafka write path of every process: record batches, producers, and getting connected.

- `batches`: records appended straight into record batches, for the ingress (one batch
  per partition at Kafka at a time) and the processors (a poll's output at once);
- `producers`: a producer's lifecycle: closing, why its sender stopped, its transaction;
- `admission`: waiting until Kafka accepts the process, saying why not meanwhile;
- `internals`: the only module that reaches into aiokafka's private attributes.
"""
