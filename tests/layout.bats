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
