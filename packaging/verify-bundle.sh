#!/bin/sh
# verify-bundle.sh: verify evident evidence bundles, a store's chain, head and custody
# ledger with only a POSIX shell, coreutils, tar, sed/awk and openssl (docs/FORMAT.md,
# "Verifying without evident"). No jq, no evident.
#
#   verify-bundle.sh [-m BYTES] -k KEY.pub [-k KEY.pub]... BUNDLE.tar.gz|STORE...
#   verify-bundle.sh --help
#
# Every check that fails prints "FAIL CODE WHERE: message" with the codes of
# `evident verify`. Exit 0 when everything holds, 1 on any finding, 2 on usage errors.
set -u
LC_ALL=C
export LC_ALL

me=${0##*/}
help() {
	cat <<EOF
Usage: $me [-m BYTES] -k PUBKEY.pem [-k PUBKEY.pem]... BUNDLE.tar.gz|STORE...

Verify evident evidence bundles, or a whole store (its bundles, hash chain, signed HEAD
and custody ledger), with only a POSIX shell, coreutils, tar, sed, awk and openssl: no
evident needed. Each key is an Ed25519 public key (PEM) you trust, from the store's
owner through a channel other than the store itself.

  -k PUBKEY.pem  a trusted public key (repeatable; at least one)
  -m BYTES       the largest evidence member extracted (default 1073741824, 1 GiB,
                 as 'evident verify')
  -h, --help     show this help

A hostile bundle cannot fill the disk: every member's declared size is checked before
anything is extracted (BYTES per member, 16 MiB for MANIFEST.json and SHA256SUMS, 4 KiB
for MANIFEST.sig, 64 GiB and 100000 members in all, and no more than the free space of
TMPDIR), and the extraction runs under a file size limit as well. HEAD (8 KiB), the
custody ledger (256 MiB) and its lines (1 MiB) are bounded the same way.

Every failed check prints "FAIL CODE WHERE: message" (the codes of 'evident verify');
then "OK" or "FAILED: N finding(s)".
Exit status: 0 everything holds, 1 a finding, 2 usage error or a missing tool.
EOF
}
usage() { # usage MESSAGE: one line, the hint, exit 2
	echo "$me: $1" >&2
	echo "Try '$me --help'." >&2
	exit 2
}
case ${1:-} in --help | -h) help; exit 0 ;; --) ;; --*) usage "unrecognized option '$1'" ;; esac
keys=""
max_member=1073741824
while getopts :hk:m: opt; do
	case $opt in
	h) help; exit 0 ;;
	k) [ -r "$OPTARG" ] || { echo "$me: cannot read key $OPTARG" >&2; exit 2; }
	   keys="$keys $OPTARG" ;;
	m) case $OPTARG in '' | *[!0-9]*) usage "-m needs a size in bytes, not '$OPTARG'" ;; esac
	   [ "${#OPTARG}" -le 12 ] || usage "-m $OPTARG is too large"
	   max_member=$OPTARG ;;
	:) usage "option -$OPTARG needs an argument" ;;
	*) usage "invalid option -$OPTARG" ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$keys" ] || usage "at least one -k PUBKEY.pem is needed"
[ $# -gt 0 ] || usage "no BUNDLE or STORE given"
# Every external command used below: a missing one stops here, not half-way (without
# this, a missing tool could leave a loop below without progress).
for t in openssl tar gzip sha256sum base64 awk sed grep cut tr od sort uniq comm wc head \
	tail cat rm mkdir mktemp chmod basename df; do
	command -v "$t" >/dev/null 2>&1 || { echo "$me: $t is required" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/verify-bundle.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
findings=0
fail() { echo "FAIL $1 $2: $3"; findings=$((findings + 1)); }

# hex (lowercase) -> the bytes, through octal escapes (POSIX printf has no \x).
hex2bin() {
	printf "$(printf '%s' "$1" | awk '{ h = "0123456789abcdef"
		for (i = 1; i <= length($0); i += 2)
			printf "\\%03o", (index(h, substr($0, i, 1)) - 1) * 16 + index(h, substr($0, i + 1, 1)) - 1 }')"
}
sha_hex() { sha256sum | cut -c1-64; }

# key id = SHA-256 of the raw 32-byte Ed25519 public key (the end of the DER form).
keyfile_for() { # KEYID -> path of the matching -k key, or nothing
	for k in $keys; do
		id=$(openssl pkey -pubin -in "$k" -outform DER 2>/dev/null | tail -c 32 | sha_hex)
		[ "$id" = "$1" ] && { echo "$k"; return 0; }
	done
	return 1
}

# A JSON string or integer field of canonical JSON: keys are unique names, and in
# canonical JSON a '"' inside a string is always escaped, so [{,]"key": only matches keys.
jfield() { sed -n "s/.*[{,]\"$1\":\"\{0,1\}\([0-9A-Za-z._:-]*\)[\",}].*/\1/p" "$2" | head -n 1; }

# RFC 6962 Merkle root over the SHA256SUMS lines (leaf = 0x00 || line, node = 0x01 || l || r).
merkle_root() { # SHA256SUMS -> hex root
	level="$TMP/level.$$"
	: > "$level"
	while IFS= read -r line; do
		{ printf '\000'; printf '%s\n' "$line"; } | sha_hex >> "$level"
	done < "$1"
	n=$(wc -l < "$level")
	if [ "$n" -eq 0 ]; then printf '' | sha_hex; return; fi
	# Each level is written to a new file (no mv): the next level always has fewer
	# lines, so the loop ends whatever happens to a single command.
	lv=0
	while [ "$n" -gt 1 ]; do
		lv=$((lv + 1))
		next="$TMP/merkle.$lv"
		: > "$next" || exit 2
		set --
		while IFS= read -r h; do
			if [ $# -eq 0 ]; then set -- "$h"; else
				{ printf '\001'; hex2bin "$1"; hex2bin "$h"; } | openssl dgst -sha256 -binary | od -An -v -tx1 | tr -d ' \n' >> "$next"
				echo >> "$next"
				set --
			fi
		done < "$level"
		[ $# -eq 1 ] && echo "$1" >> "$next"
		m=$(wc -l < "$next")
		[ "$m" -lt "$n" ] || { echo "$me: cannot compute the Merkle root" >&2; exit 2; }
		level=$next
		n=$m
	done
	cat "$level"
}

# verify_bundle FILE: sets B_OK, B_CHAIN, B_SEQ, B_PREV, B_MHASH
verify_bundle() {
	b=$1
	B_OK=0; B_CHAIN=""; B_SEQ=""; B_PREV=""; B_MHASH=""
	d="$TMP/b"
	rm -rf "$d"; mkdir "$d"
	# One listing pass checks every member's type, declared size and the member count
	# before anything is extracted; awk stops at the first member over a cap (tar is then
	# stopped by SIGPIPE at its next listing line: a bomb is never written, only read).
	# GNU tar lists "MODE OWNER/GROUP SIZE ...", bsdtar "MODE LINKS OWNER GROUP SIZE ...".
	verdict=$({ tar -tvzf "$b" 2>"$TMP/tarerr"; echo "tar-rc $?"; } | awk -v mm="$max_member" '
		$1 == "tar-rc" && NF == 2 { rc = $2; next }
		{
			n++
			if (n > 100000) { bad = "more than 100000 members"; exit }
			if (substr($1, 1, 1) != "-") { bad = "member " $NF " is not a regular file (type " $1 ")"; exit }
			sz = ($2 ~ /\//) ? $3 : $5
			if (sz !~ /^[0-9]+$/) { bad = "cannot read the size of member " $NF; exit }
			cap = mm
			if ($NF == "MANIFEST.json" || $NF == "SHA256SUMS") cap = 16777216
			else if ($NF == "MANIFEST.sig") cap = 4096
			if (sz + 0 > cap + 0) { bad = "member " $NF " declares " sz " bytes, over the cap of " cap "; not extracted"; exit }
			total += sz
			if (total > 68719476736) { bad = "members declare more than 64 GiB in all; not extracted"; exit }
		}
		END {
			if (bad != "") print "cap " bad
			else if (rc != "0") print "unreadable"
			else printf "ok %.0f\n", total
		}')
	case $verdict in
	"cap "*) fail FORMAT_INVALID "$b" "${verdict#cap }"; return ;;
	ok*) ;;
	*) fail FORMAT_INVALID "$b" "not a readable gzip'd tar ($(head -n 1 "$TMP/tarerr"))"; return ;;
	esac
	need=${verdict#ok }
	# free space of TMPDIR, in KiB (POSIX df -P: the fourth column)
	avail=$(df -Pk "$TMP" | awk 'NR == 2 { print $4 }')
	if [ -n "$avail" ] && [ $((need / 1024 + 1024)) -gt "$avail" ]; then
		echo "$me: $b: its members need $need bytes, TMPDIR ($TMP) has ${avail} KiB free" >&2
		exit 2
	fi
	# only regular files with safe names, before anything is extracted
	bad=""
	tar -tzf "$b" > "$TMP/names"
	bad="$bad$(grep -Ev '^(SHA256SUMS|MANIFEST\.json|MANIFEST\.sig|evidence(/[A-Za-z0-9._@+=:,-]+)+)$' "$TMP/names")"
	bad="$bad$(grep -E '(^|/)\.\.?(/|$)' "$TMP/names")"
	if [ -n "$bad" ]; then
		fail FORMAT_INVALID "$b" "unsafe or non-regular members: $(echo "$bad" | head -n 3 | tr '\n' ' ')"
		return
	fi
	if [ "$(sort "$TMP/names" | uniq -d | wc -l)" -ne 0 ]; then
		fail FORMAT_INVALID "$b" "duplicate members"
		return
	fi
	# the file size limit (512-byte blocks) backs the listing: no file outgrows the caps
	lim=$(((max_member > 16777216 ? max_member : 16777216) / 512 + 1))
	(ulimit -f "$lim" && exec tar -xzf "$b" -C "$d" --no-same-owner --no-same-permissions) 2>/dev/null || {
		fail FORMAT_INVALID "$b" "cannot extract"; return; }
	chmod -R u+rwX "$d"
	for f in MANIFEST.json MANIFEST.sig SHA256SUMS; do
		[ -f "$d/$f" ] || { fail MEMBER_MISSING "$b" "$f is missing"; return; }
	done
	kid=$(jfield key_id "$d/MANIFEST.json")
	key=$(keyfile_for "$kid") || { fail UNKNOWN_KEY "$b" "signed by key ${kid:-?}, not given with -k"; return; }
	if ! openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$d/MANIFEST.json" \
		-sigfile "$d/MANIFEST.sig" >/dev/null 2>&1; then
		fail SIGNATURE_INVALID "$b" "MANIFEST.sig does not verify with $key"
		return
	fi
	# from here on, MANIFEST.json is authenticated
	want=$(jfield sha256sums_sha256 "$d/MANIFEST.json")
	got=$(sha_hex < "$d/SHA256SUMS")
	[ "$want" = "$got" ] || fail MEMBER_MODIFIED "$b" "SHA256SUMS differs from the signed manifest"
	if ! (cd "$d" && sha256sum --quiet --strict -c SHA256SUMS) > "$TMP/sumerr" 2>&1; then
		while IFS= read -r l; do
			case $l in
			*"No such file"*|*"FAILED open"*) fail MEMBER_MISSING "$b" "$l" ;;
			*FAILED*) fail MEMBER_MODIFIED "$b" "$l" ;;
			esac
		done < "$TMP/sumerr"
	fi
	grep '^evidence/' "$TMP/names" | sort > "$TMP/have"
	sed 's/^[0-9a-f]\{64\}  //' "$d/SHA256SUMS" | sort > "$TMP/listed"
	for x in $(comm -23 "$TMP/have" "$TMP/listed"); do fail MEMBER_EXTRA "$b" "$x is not in SHA256SUMS"; done
	root=$(merkle_root "$d/SHA256SUMS")
	[ "$root" = "$(jfield merkle_root "$d/MANIFEST.json")" ] || fail FORMAT_INVALID "$b" "merkle_root does not match SHA256SUMS"
	B_OK=1
	B_CHAIN=$(jfield chain_id "$d/MANIFEST.json")
	B_SEQ=$(jfield chain_sequence "$d/MANIFEST.json")
	B_PREV=$(jfield chain_prev_manifest_sha256 "$d/MANIFEST.json")
	B_MHASH=$(sha_hex < "$d/MANIFEST.json")
}

verify_head() { # STORE -> H_SEQ H_MHASH H_CHAIN
	h="$1/HEAD"
	H_SEQ=""
	[ -f "$h" ] || { fail CHAIN_GAP "$h" "chain head is missing"; return; }
	[ "$(head -c 8193 "$h" | wc -c)" -le 8192 ] || { fail FORMAT_INVALID "$h" "chain head is over 8 KiB"; return; }
	sed '$d' "$h" > "$TMP/head.body"
	sed -n '$s/^signature //p' "$h" | base64 -d > "$TMP/head.sig" 2>/dev/null
	kid=$(sed -n 's/^key_id //p' "$TMP/head.body")
	key=$(keyfile_for "$kid") || { fail UNKNOWN_KEY "$h" "signed by key ${kid:-?}"; return; }
	openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$TMP/head.body" -sigfile "$TMP/head.sig" >/dev/null 2>&1 ||
		{ fail SIGNATURE_INVALID "$h" "chain head signature does not verify"; return; }
	H_SEQ=$(sed -n 's/^sequence //p' "$TMP/head.body")
	H_MHASH=$(sed -n 's/^manifest_sha256 //p' "$TMP/head.body")
	H_CHAIN=$(sed -n 's/^chain_id //p' "$TMP/head.body")
	H_BSHA=$(sed -n 's/^bundle_sha256 //p' "$TMP/head.body")
	H_BUNDLE=$(sed -n 's/^bundle //p' "$TMP/head.body")
}

verify_ledger() { # FILE: canonical lines, sequence, prev hashes, signatures
	l=$1
	[ -f "$l" ] || { fail CUSTODY_BROKEN "$l" "custody ledger is missing"; return; }
	if [ "$(head -c 268435457 "$l" | wc -c)" -gt 268435456 ]; then
		fail CUSTODY_BROKEN "$l" "custody ledger is over 256 MiB; not read"; return; fi
	long=$(awk 'length($0) > 1048576 { print NR; exit }' "$l")
	[ -z "$long" ] || { fail CUSTODY_BROKEN "$l:$long" "line is over 1 MiB; ledger not read"; return; }
	[ -z "$(tail -c 1 "$l")" ] || fail CUSTODY_BROKEN "$l" "partial last line"
	prev=0000000000000000000000000000000000000000000000000000000000000000
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s' "$line" > "$TMP/line"
		case $(jfield seq "$TMP/line") in "$n") ;; *) fail CUSTODY_BROKEN "$l:$n" "sequence is not $n" ;; esac
		[ "$(jfield prev "$TMP/line")" = "$prev" ] || fail CUSTODY_BROKEN "$l:$n" "prev does not match the line before"
		# the signed body is the same canonical JSON without its "sig" member
		sed 's/,"sig":"[0-9a-f]*"//' "$TMP/line" | tr -d '\n' > "$TMP/body"
		hex2bin "$(jfield sig "$TMP/line")" > "$TMP/sig"
		kid=$(jfield key_id "$TMP/line")
		if key=$(keyfile_for "$kid"); then
			openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$TMP/body" -sigfile "$TMP/sig" >/dev/null 2>&1 ||
				fail CUSTODY_BROKEN "$l:$n" "signature does not verify"
		else
			fail UNKNOWN_KEY "$l:$n" "entry signed by key ${kid:-?}"
		fi
		prev=$(printf '%s' "$line" | sha_hex)
	done < "$l"
}

verify_store() {
	s=$1
	verify_head "$s"
	verify_ledger "$s/custody.jsonl"
	last_chain=""; last_seq=0; last_hash=""
	for b in "$s"/bundles/*.tar.gz; do
		[ -e "$b" ] || continue
		name=$(basename "$b")
		verify_bundle "$b"
		[ "$B_OK" = 1 ] || continue
		fseq=$(printf '%s' "$name" | sed 's/-.*//' | sed 's/^0*//')
		[ "${fseq:-0}" = "$B_SEQ" ] || fail CHAIN_REORDER "$name" "file name sequence ${fseq:-0}, manifest says $B_SEQ"
		bsha=$(sha_hex < "$b")
		grep -q "\"bundle\":\"$name\".*\"bundle_sha256\":\"$bsha\"" "$s/custody.jsonl" 2>/dev/null ||
			fail BUNDLE_MODIFIED "$name" "no sealed custody entry with this file's SHA-256"
		if [ "$B_CHAIN" != "$last_chain" ]; then
			[ -z "$last_chain" ] || fail CHAIN_RESET "$name" "a new chain starts here"
			[ "$B_SEQ" = 1 ] || grep -q '"action":"pruned"' "$s/custody.jsonl" ||
				fail CHAIN_GAP "$name" "the chain starts at $B_SEQ"
		elif [ "$B_SEQ" = "$last_seq" ]; then
			fail CHAIN_FORK "$name" "a second bundle with sequence $B_SEQ"
		elif [ "$B_SEQ" -ne $((last_seq + 1)) ]; then
			fail CHAIN_GAP "$name" "bundles $((last_seq + 1))..$((B_SEQ - 1)) are missing"
		elif [ "$B_PREV" != "$last_hash" ]; then
			fail CHAIN_FORK "$name" "previous manifest hash does not match bundle $last_seq"
		fi
		last_chain=$B_CHAIN; last_seq=$B_SEQ; last_hash=$B_MHASH
	done
	if [ -n "$H_SEQ" ]; then
		if [ "$H_CHAIN" = "$last_chain" ] && [ "$H_SEQ" -lt "$last_seq" ]; then
			fail CHAIN_ROLLBACK "$s/HEAD" "head at $H_SEQ, bundles go to $last_seq"
		elif [ "$H_CHAIN" != "$last_chain" ] || [ "$H_SEQ" != "$last_seq" ] || [ "$H_MHASH" != "$last_hash" ]; then
			fail CHAIN_GAP "$s/HEAD" "head names $H_CHAIN #$H_SEQ, the last bundle is ${last_chain:-none} #$last_seq"
		fi
	fi
}

for t in "$@"; do
	if [ -d "$t" ]; then verify_store "$t"
	elif [ -f "$t" ]; then verify_bundle "$t"
	else echo "$me: no such bundle or store: $t" >&2; exit 2
	fi
done
if [ "$findings" -eq 0 ]; then echo "OK"; exit 0; fi
echo "FAILED: $findings finding(s)"
exit 1
