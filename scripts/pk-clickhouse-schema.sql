-- pk-clickhouse-schema.sql - the ClickHouse table pk-ship-clickhouse fills.
--
--   clickhouse-client --multiquery < pk-clickhouse-schema.sql
--
-- One row per packet, the columns of "pkextract -T clickhouse" (JSONEachRow;
-- pkextract(1) lists them): the field names with "." replaced by "_" and
-- the "@" of @timestamp dropped.  A field a packet does not have is omitted
-- from its row and stored as NULL (or the column default).  Needs
-- ClickHouse 21.12 or later (DateTime64, Bool).
--
-- The table is a catalogue of metadata, not the packets: for the bytes,
-- ask the sensor (pkfind-remote(1)) for the time range and hosts a query
-- here finds.  Partitioned by day, so retention is a partition drop (or
-- the TTL below, to match the sensors' MAX_AGE).

CREATE DATABASE IF NOT EXISTS pk;

CREATE TABLE IF NOT EXISTS pk.packets
(
    timestamp           DateTime64(9, 'UTC') CODEC(Delta, ZSTD),
    network_bytes       UInt32,
    pk_caplen           UInt32,
    pk_linktype         UInt16,
    source_mac          Nullable(String),
    destination_mac     Nullable(String),
    vlan_id             Nullable(UInt16),
    vlan_ids            Array(UInt16),
    vlan_count          Nullable(UInt8),
    mpls_label          Nullable(UInt32),
    mpls_count          Nullable(UInt8),
    network_ethertype   Nullable(UInt16),
    network_type        LowCardinality(Nullable(String)),
    network_transport   LowCardinality(Nullable(String)),
    network_iana_number Nullable(UInt8),
    source_ip           Nullable(String),
    destination_ip      Nullable(String),
    source_port         Nullable(UInt16),
    destination_port    Nullable(UInt16),
    icmp_type           Nullable(UInt8),
    icmp_code           Nullable(UInt8),
    tcp_flags           LowCardinality(Nullable(String)),
    tcp_flags_value     Nullable(UInt8),
    arp_opcode          Nullable(UInt16),
    ip_fragment         Nullable(Bool),
    ip_fragment_first   Nullable(Bool),
    pk_truncated        Bool,
    pk_file             LowCardinality(Nullable(String)),
    pk_offset           Nullable(UInt64),

    INDEX idx_sip source_ip TYPE bloom_filter GRANULARITY 4,
    INDEX idx_dip destination_ip TYPE bloom_filter GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY timestamp
TTL toDateTime(timestamp) + INTERVAL 30 DAY DELETE;
