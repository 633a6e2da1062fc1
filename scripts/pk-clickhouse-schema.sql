-- pk-clickhouse-schema.sql - the ClickHouse tables of a pk fleet catalog.
--
--   pk-ship-clickhouse -I                      (one statement per request over HTTP)
--   clickhouse-client --multiquery < pk-clickhouse-schema.sql
--
-- Written for every ClickHouse from 18.16 (Debian's) to current ones: times
-- are UInt64 nanoseconds, booleans UInt8, no codecs, no LowCardinality, no
-- data-skipping indexes, no TTL (see the end).  pk-sessions(5) documents
-- the columns.
--
-- The catalog holds metadata, never packets: for the bytes, ask the
-- sensors (pkfind-remote -C, pkfind-remote(1)) for the files a query here
-- finds.  Tables are partitioned by the UTC day of first_ns, so retention
-- is a partition drop:
--   ALTER TABLE pk.sessions DROP PARTITION '2026-11-01'

CREATE DATABASE IF NOT EXISTS pk;

-- One row per session (flow of the indexed fields, both directions) per
-- pcap file of a sensor: what pkindex -S writes beside each file.
-- ReplacingMergeTree on (first_ns, sensor, file, flow): a row shipped twice
-- (a retry whose first answer was lost) is one row once parts merge, and
-- exactly one row in queries with FINAL.  pk-ship-clickhouse checks what a
-- batch already inserted before it sends it, so normally nothing is sent
-- twice.  Ordered by time first: a window's lookup reads the granules of
-- its days and times only.
CREATE TABLE IF NOT EXISTS pk.sessions
(
    sensor          String,
    files           Array(String),
    file            String MATERIALIZED files[1],
    linktype        UInt16,
    judged          UInt8,
    unsure          UInt8,
    first_ns        UInt64,
    last_ns         UInt64,
    first           DateTime ALIAS toDateTime(intDiv(first_ns, 1000000000), 'UTC'),
    last            DateTime ALIAS toDateTime(intDiv(last_ns, 1000000000), 'UTC'),
    mac_a           String,
    mac_b           String,
    vlans           Array(UInt16),
    ethertype       UInt16,
    ip_version      UInt8,
    ip_a            String,
    ip_b            String,
    proto           UInt8,
    port_a          UInt16,
    port_b          UInt16,
    packets_ab      UInt64,
    bytes_ab        UInt64,
    packets_ba      UInt64,
    bytes_ba        UInt64,
    tcp_flags_ab    UInt8,
    tcp_flags_ba    UInt8,
    flow            UInt64,
    shipped         DateTime MATERIALIZED now()
)
ENGINE = ReplacingMergeTree()
PARTITION BY toDate(toDateTime(intDiv(first_ns, 1000000000), 'UTC'))
ORDER BY (first_ns, sensor, file, flow);

-- One row per pcap file shipped: which files of which sensor the catalog
-- covers (a fleet query searches a sensor's other files as before), the
-- archive root to search them under, and the file's totals.  Written after
-- the file's sessions, so a file listed here has all of them.
CREATE TABLE IF NOT EXISTS pk.files
(
    sensor          String,
    root            String,
    file            String,
    first_ns        UInt64,
    last_ns         UInt64,
    packets         UInt64,
    bytes           UInt64,
    sessions        UInt64,
    shipped         DateTime MATERIALIZED now()
)
ENGINE = ReplacingMergeTree()
PARTITION BY toDate(toDateTime(intDiv(first_ns, 1000000000), 'UTC'))
ORDER BY (sensor, file);

-- Optional: one row per packet, the columns of "pkextract -T clickhouse"
-- (JSONEachRow; pkextract(1) lists them: the field names with "." replaced
-- by "_" and the "@" of @timestamp dropped; timestamp in nanoseconds).  A
-- field a packet does not have is omitted from its row and stored as NULL.
-- Rows per million packets: a million; sessions: see pk-sessions(5).
CREATE TABLE IF NOT EXISTS pk.packets
(
    timestamp           UInt64,
    network_bytes       UInt32,
    pk_caplen           UInt32,
    pk_linktype         UInt16,
    source_mac          Nullable(String),
    destination_mac     Nullable(String),
    vlan_id             Nullable(UInt16),
    vlan_ids            Array(UInt16),
    vlan_count          Nullable(UInt8),
    mpls_label          Nullable(UInt32),
    mpls_labels         Array(UInt32),
    mpls_count          Nullable(UInt8),
    network_ethertype   Nullable(UInt16),
    network_type        Nullable(String),
    network_transport   Nullable(String),
    network_iana_number Nullable(UInt8),
    source_ip           Nullable(String),
    destination_ip      Nullable(String),
    source_port         Nullable(UInt16),
    destination_port    Nullable(UInt16),
    icmp_type           Nullable(UInt8),
    icmp_code           Nullable(UInt8),
    tcp_flags           Nullable(String),
    tcp_flags_value     Nullable(UInt8),
    arp_opcode          Nullable(UInt16),
    ip_fragment         Nullable(UInt8),
    ip_fragment_first   Nullable(UInt8),
    pk_truncated        UInt8,
    pk_file             Nullable(String),
    pk_offset           Nullable(UInt64),
    shipped             DateTime MATERIALIZED now()
)
ENGINE = MergeTree()
PARTITION BY toDate(toDateTime(intDiv(timestamp, 1000000000), 'UTC'))
ORDER BY timestamp;

-- A packets table made before pkextract printed every MPLS label needs the
-- column once (18.16 has no ADD COLUMN IF NOT EXISTS, so -I cannot do it):
--   ALTER TABLE pk.packets ADD COLUMN mpls_labels Array(UInt32) AFTER mpls_label

-- TTL (ClickHouse 19.6 and later only; 18.16 refuses it: drop partitions
-- instead).  pk-ship-clickhouse -T DAYS applies, for each table,
--   ALTER TABLE pk.sessions MODIFY TTL shipped + INTERVAL DAYS DAY
-- keyed on when a row was shipped, not on the packets' time, so that a
-- capture from years ago imported today is not deleted on arrival.
