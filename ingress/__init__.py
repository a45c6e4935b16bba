"""The HTTP ingress: authenticate each webhook, make it durable in Kafka, then answer."""
