"""The Kafka releases the local launcher supports: their jars, logging and CLI classes.

Every artifact is pinned to an exact version, like every other dependency of the project:
a fetch on a new machine gets the same jars as on the last one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from localkafka.errors import LauncherError


@dataclass(frozen=True)
class Artifact:
    group: str
    name: str
    version: str
    # "group:name" of transitive dependencies to leave out.
    exclusions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Logging:
    """How a release's JVMs find their logging configuration."""

    # JVM system property naming the config file, and the prefix its value needs.
    system_property: str
    value_prefix: str
    # File names in deploy/kafka/.
    broker_config: str
    tools_config: str

    def jvm_flag(self, path: str) -> str:
        return f"-D{self.system_property}={self.value_prefix}{path}"


@dataclass(frozen=True)
class KafkaVersion:
    version: str
    artifacts: tuple[Artifact, ...]
    logging: Logging
    # Short name -> main class of the CLI tools the project uses.
    tools: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def main_jar(self) -> str:
        return f"kafka_2.13-{self.version}.jar"

    def tool_class(self, name_or_class: str) -> str:
        """A short name from the table, or any fully qualified class as given."""
        if name_or_class in self.tools:
            return self.tools[name_or_class]
        if "." in name_or_class:
            return name_or_class
        known = ", ".join(sorted(self.tools))
        raise LauncherError(
            f"unknown tool {name_or_class!r} for Kafka {self.version}: use one of {known}, "
            "or a fully qualified main class"
        )


# connect-runtime (Jetty, Jersey: ~10 MB) is needed only by the Connect plugin-path tool.
_TOOLS_EXCLUSIONS = (
    "org.apache.kafka:connect-runtime",
    "com.fasterxml.jackson.jaxrs:jackson-jaxrs-json-provider",
)

_RELOAD4J = Logging(
    system_property="log4j.configuration",
    value_prefix="file:",
    broker_config="log4j.properties",
    tools_config="tools-log4j.properties",
)

_LOG4J2 = Logging(
    system_property="log4j2.configurationFile",
    value_prefix="",
    broker_config="log4j2.properties",
    tools_config="tools-log4j2.properties",
)

KAFKA_3_9_1 = KafkaVersion(
    version="3.9.1",
    artifacts=(
        Artifact("org.apache.kafka", "kafka_2.13", "3.9.1"),
        Artifact("org.apache.kafka", "kafka-tools", "3.9.1", _TOOLS_EXCLUSIONS),
        # kafka_2.13 brings slf4j-api 1.7.36 and no binding: without one it logs nothing.
        Artifact("org.slf4j", "slf4j-reload4j", "1.7.36"),
        # newer than the 1.2.19 that slf4j-reload4j pulls in
        Artifact("ch.qos.reload4j", "reload4j", "1.2.25"),
    ),
    logging=_RELOAD4J,
    tools=MappingProxyType(
        {
            "storage": "kafka.tools.StorageTool",
            "topics": "org.apache.kafka.tools.TopicCommand",
            "acls": "kafka.admin.AclCommand",
            "configs": "kafka.admin.ConfigCommand",
            "console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "console-producer": "kafka.tools.ConsoleProducer",
            "consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
            "metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
        }
    ),
)

KAFKA_4_4_0 = KafkaVersion(
    version="4.4.0",
    artifacts=(
        Artifact("org.apache.kafka", "kafka_2.13", "4.4.0"),
        Artifact("org.apache.kafka", "kafka-tools", "4.4.0", _TOOLS_EXCLUSIONS),
        # Kafka 4 logs through log4j2. kafka_2.13 declares slf4j-api 1.7.36, which the
        # slf4j2 binding cannot serve: pin the 2.x API it was built for.
        Artifact("org.slf4j", "slf4j-api", "2.0.17"),
        Artifact("org.apache.logging.log4j", "log4j-slf4j2-impl", "2.25.5"),
        Artifact("org.apache.logging.log4j", "log4j-api", "2.25.5"),
        Artifact("org.apache.logging.log4j", "log4j-core", "2.25.5"),
    ),
    logging=_LOG4J2,
    tools=MappingProxyType(
        {
            "storage": "kafka.tools.StorageTool",
            "topics": "org.apache.kafka.tools.TopicCommand",
            "acls": "org.apache.kafka.tools.AclCommand",
            "configs": "org.apache.kafka.tools.ConfigCommand",
            "console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "console-producer": "org.apache.kafka.tools.ConsoleProducer",
            "consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
            "metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
        }
    ),
)

DEFAULT_VERSION = "4.4.0"
VERSIONS: Mapping[str, KafkaVersion] = MappingProxyType(
    {v.version: v for v in (KAFKA_4_4_0, KAFKA_3_9_1)}
)


def kafka_version(version: str) -> KafkaVersion:
    try:
        return VERSIONS[version]
    except KeyError:
        supported = ", ".join(VERSIONS)
        raise LauncherError(
            f"Kafka {version!r} is not supported by the local launcher; "
            f"supported: {supported} (set KAFKA_VERSION to one of them)"
        ) from None
