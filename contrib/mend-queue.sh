#!/bin/sh
# mend-queue.sh: before rsyslogd starts, take out of its Disk queues what it
# wrote after their index was last saved.
#
#   contrib/mend-queue.sh [-l] DIR [NAME ...]
#
#   -l    say it in the system log too (tag mend-queue): for a unit whose
#         standard error goes nowhere (Debian's rsyslog.service)
#   DIR   a queue.spoolDirectory (the services' LIB_DIR/queue); missing: no
#         queue yet, nothing to do
#   NAME  only the queue of that queue.filename (the system logger's work
#         directory holds others' queues too); none: every queue in DIR
#
# Why: rsyslogd (8.2302) writes a message to the queue file, then saves the
# index (<name>.qi, write-to-temporary and rename) and only then answers the
# sender (imhttp's 200).  Killed in between (SIGKILL, OOM, a crash), the file
# holds bytes past the index's write offset.  The next rsyslogd writes over
# them from that offset without cutting the file, and its reader, which
# reads 4 KiB at a time, takes the old bytes behind a new message for the
# next one: that message is lost, and rsyslogd logs "qDeqDisk error",
# "open error" and "emergency switch to direct mode" (no queue until its
# next start).  docs/production.md, section 6, has the measurement.
#
# Those bytes, and any file numbered after the index's write file, are
# enqueues rsyslogd never finished: with queue.checkpointInterval="1" (our
# Disk queues) nobody got a 200 for them (the sender retries).  On any
# queue rsyslogd itself never reads them back as what they were: it writes
# over them.  So cutting them loses nothing it would deliver.  Run only
# while this queue's rsyslogd is stopped (the units' ExecStartPre).  Exit
# status 0 unless DIR is not a directory or cannot be read: a queue it
# cannot mend is reported and left to rsyslogd as it is.
set -eu

me=mend-queue
syslog=no
if [ "${1:-}" = -l ]; then
	syslog=yes
	shift
fi
[ $# -ge 1 ] || { echo "usage: $0 [-l] DIR [NAME ...]" >&2; exit 2; }
dir=$1
shift

# say MESSAGE: to standard error, and with -l to the system log
say() {
	echo "$me: $1" >&2
	[ "$syslog" = no ] || logger -t "$me" -p daemon.warning -- "$1" || true
}
[ -e "$dir" ] || exit 0
if ! { [ -d "$dir" ] && [ -r "$dir" ] && [ -x "$dir" ]; }; then
	say "$dir: not a readable directory"
	exit 1
fi

# qi_field N FIELD FILE: FIELD's value in the Nth object of the index FILE.
# rsyslog writes one property a line, "+name:type:length:value:" (runtime/
# obj.c, objSerializeProp); an index holds the queue's property bag, then
# its write stream, then its read stream.
qi_field() {
	awk -F: -v n="$1" -v f="+$2" '
		/^<(Obj|OPB):/ { obj++ }
		obj == n && $1 == f { print $4; exit }' "$3"
}

# number S: S if it is a decimal number, else nothing
number() {
	case $1 in ''|*[!0-9]*) return 1 ;; esac
	printf '%s' "$1"
}

# size FILE: FILE's length in bytes
size() { wc -c < "$1" | tr -d ' '; }

# mend QI: cut the queue of the index QI back to what QI says
mend() {
	qi=$1
	name=$(qi_field 2 pszFName "$qi")
	if ! wfile=$(number "$(qi_field 2 iCurrFNum "$qi")") ||
	   ! woff=$(number "$(qi_field 2 iCurrOffs "$qi")") ||
	   ! rfile=$(number "$(qi_field 3 iCurrFNum "$qi")") ||
	   [ "$dir/$name.qi" != "$qi" ]; then
		say "$qi: not an index this tool reads; left as it is"
		return 0
	fi
	for f in "$dir/$name".*; do
		n=${f##*.}
		# Only the queue's numbered files: its .qi and .qi.tmp are not.
		number "$n" > /dev/null || continue
		if [ -L "$f" ] || [ ! -f "$f" ]; then
			say "$f: not a regular file; left as it is"
			continue
		fi
		n=$(printf '%s' "$n" | sed 's/^0*//')
		n=${n:-0}
		if [ "$n" -eq "$wfile" ]; then
			have=$(size "$f")
			[ "$have" -gt "$woff" ] || continue
			truncate -s "$woff" "$f"
			say "$f: cut $((have - woff)) bytes written after the index was saved (an enqueue rsyslogd did not finish: never answered)"
		elif [ "$n" -gt "$wfile" ] && [ "$rfile" -le "$wfile" ]; then
			# After the write file, and the numbers have not wrapped.
			rm -f "$f"
			say "$f: removed, written after the index was saved (an enqueue rsyslogd did not finish: never answered)"
		fi
	done
}

# wanted QI: whether the index QI is of a queue named on the command line
wanted() {
	[ $# -gt 1 ] || return 0
	q=$1
	shift
	for want in "$@"; do
		[ "$q" != "$dir/$want.qi" ] || return 0
	done
	return 1
}

for qi in "$dir"/*.qi; do
	if [ -f "$qi" ] && wanted "$qi" "$@"; then
		mend "$qi"
	fi
done
exit 0
