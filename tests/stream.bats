#!/usr/bin/env bats
# The pk stream reader and writer (libcommon/io/stream.c), pk-stream(5).
load helpers

setup() {
	[ -x "$PK_TOOLS/unit_stream" ] || fail "unit_stream not built (make)"
}

@test "stream: every record type survives a write and a read" {
	run "$PK_TOOLS/unit_stream" roundtrip
	assert_success
	assert_output "ok roundtrip"
}

@test "stream: garbage before the first record is skipped, counted and reported" {
	run "$PK_TOOLS/unit_stream" resync
	assert_success
	assert_line "ok resync"
	assert_output --partial "resynchronising"
}

@test "stream: a record cut short by a killed writer is dropped, not trusted" {
	run "$PK_TOOLS/unit_stream" truncated
	assert_success
	assert_line "ok truncated"
}

@test "stream: a pcap file on a stream input is refused with the pkread -r hint" {
	run "$PK_TOOLS/unit_stream" pcapmagic
	assert_success
	assert_output --partial "is a pcap file, not a pk stream: read it with pkread -r"
}

@test "stream: 256 KiB packets cross buffer boundaries intact" {
	run "$PK_TOOLS/unit_stream" big
	assert_success
	assert_output "ok big"
}
