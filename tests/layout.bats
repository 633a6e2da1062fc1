#!/usr/bin/env bats
# The source layout: libcommon's layers (libcommon/README) and the
# direction of their includes.
load helpers

# the layers, lowest first, from the README's arrow line
# ("archive -> query -> index -> packet -> io -> pk.h")
layers() {
	grep -m1 -E '^ *archive -> ' "$PK_ROOT/libcommon/README" | tr -d ' ' | sed 's/->/\n/g' | sed '1!G;h;$!d'
}

@test "libcommon: the README names every layer directory and only those" {
	local dirs named
	dirs=$(cd "$PK_ROOT/libcommon" && ls -d */ | tr -d / | sort)
	named=$(layers | grep -vx 'pk.h' | sort)
	[ -n "$dirs" ]
	[ "$dirs" = "$named" ] || fail "directories: $(echo $dirs); README: $(echo $named)"
}

@test "libcommon: a header's name is unique across the layers (they are included by name alone)" {
	run sh -c "cd '$PK_ROOT/libcommon' && ls *.h */*.h | sed 's|.*/||' | sort | uniq -d"
	assert_success
	assert_output ""
}

@test "libcommon: a layer includes only itself and the layers before it in the README (arrows one way)" {
	local rank=0 l f h hd bad=""
	declare -A r
	for l in $(layers); do r[$l]=$rank; rank=$((rank + 1)); done
	[ "${r[io]:-}" != "" ] && [ "${r[archive]:-}" != "" ]
	for f in "$PK_ROOT"/libcommon/*/*.[ch]; do
		l=$(basename "$(dirname "$f")")
		for h in $(sed -n 's/^#include "\([a-z_0-9]*\.h\)".*/\1/p' "$f"); do
			if [ -f "$PK_ROOT/libcommon/$h" ]; then
				hd=pk.h
			else
				hd=$(cd "$PK_ROOT/libcommon" && ls */"$h" 2>/dev/null | head -1)
				[ -n "$hd" ] || { bad="$bad ${f#"$PK_ROOT"/}:$h(nowhere)"; continue; }
				hd=${hd%%/*}
			fi
			[ "${r[$hd]}" -le "${r[$l]}" ] || bad="$bad ${f#"$PK_ROOT"/}->$hd/$h"
		done
	done
	[ -z "$bad" ] || fail "includes against the arrows:$bad"
}

@test "fields: a field's tag, width and names are written in field_table.h only" {
	local ids names
	ids=$(sed -n 's/^[[:space:]]*X(\([A-Z0-9_]*\),.*/\1/p' "$PK_ROOT/libcommon/packet/field_table.h" | paste -sd'|')
	[ -n "$ids" ]
	[[ $ids == *MPLS* ]]
	# its dump and query names as string literals (the tables idx_read, catalog and query_print
	# once had); names without a dot or underscore ("vlan", "proto") are words of the grammar too
	names=$(sed -n 's/^[[:space:]]*X([A-Z0-9_]*, *[0-9]*, *[0-9]*, *[A-Z0-9_]*, *[a-z0-9_]*, *[A-Z0-9_]*, *[A-Z_ |]*, *"\([^"]*\)", *"\([^"]*\)".*/\1|\2/p' \
	    "$PK_ROOT/libcommon/packet/field_table.h" | tr '|' '\n' | grep '[._]' | paste -sd'|' | sed 's/\./\\./g')
	[ -n "$names" ]
	grep -rnE "IDX_($ids)[[:space:]]*=[[:space:]]*[0-9]|\"($names)\"" "$PK_ROOT/libcommon" "$PK_ROOT/cmd" \
	    --include='*.c' --include='*.h' >"$BATS_TEST_TMPDIR/hits" || true
	# the table itself has them all
	[ "$(grep -c 'libcommon/packet/field_table\.h:' "$BATS_TEST_TMPDIR/hits")" -ge 10 ]
	run grep -v 'libcommon/packet/field_table\.h:' "$BATS_TEST_TMPDIR/hits"
	assert_output ""
	# and no table of widths indexed by tag
	run grep -rnE '\[IDX_TAG_MAX *\+ *1\]' "$PK_ROOT/libcommon" "$PK_ROOT/cmd"
	assert_output ""
}
