#!/bin/sh
# The facts 'sizer fleet' needs from one Linux or macOS machine: processor, installed memory,
# GPUs (with their memory where the driver says it), OS. POSIX sh and the system's own tools:
# no Python, no sizer, nothing installed, nothing sent anywhere. It prints one JSON record
# (format sizer.machine-facts v1) on standard output; have your management tool store it as
# <machine>.json in one folder, then run: sizer fleet that-folder/
#
# The id is the host name; set SIZER_FACTS_ID to use an asset tag instead.
set -eu

json_string() {  # a JSON string: backslash and quote escaped, control characters dropped
	printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

gpus=""
add_gpu() {  # name, memory in bytes or empty
	[ -n "$1" ] || return 0
	entry="{\"name\": $(json_string "$1")"
	[ -n "$2" ] && entry="$entry, \"vram_bytes\": $2"
	gpus="${gpus:+$gpus, }$entry}"
}

case "$(uname -s)" in
Darwin)
	cpu=$(sysctl -n machdep.cpu.brand_string)            # "Apple M2 Pro", "Intel(R) Core(TM) i7-…"
	ram=$(sysctl -n hw.memsize)
	logical=$(sysctl -n hw.logicalcpu)
	os="macOS $(sw_vers -productVersion)"
	system_profiler SPDisplaysDataType 2>/dev/null |
		sed -n 's/^ *Chipset Model: *//p' >"${TMPDIR:-/tmp}/sizer-gpus.$$" || true
	while IFS= read -r name; do add_gpu "$name" ""; done <"${TMPDIR:-/tmp}/sizer-gpus.$$"
	rm -f "${TMPDIR:-/tmp}/sizer-gpus.$$"
	;;
*)
	cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
	if [ -z "$cpu" ] && command -v lscpu >/dev/null 2>&1; then  # ARM kernels name no model
		cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
	fi
	ram=$(($(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\) kB$/\1/p' /proc/meminfo) * 1024))
	logical=$(getconf _NPROCESSORS_ONLN)
	os=$( (. /etc/os-release 2>/dev/null && printf '%s' "${PRETTY_NAME:-Linux}") || echo Linux)
	if command -v nvidia-smi >/dev/null 2>&1; then
		nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits 2>/dev/null |
			while IFS=, read -r name mib; do
				printf '%s\t%s\n' "$name" "$((${mib# } * 1048576))"
			done >"${TMPDIR:-/tmp}/sizer-gpus.$$" || true
	elif command -v lspci >/dev/null 2>&1; then
		lspci 2>/dev/null | sed -n 's/^[^ ]* \(VGA compatible controller\|3D controller\|Display controller\): //p' |
			sed 's/$/\t/' >"${TMPDIR:-/tmp}/sizer-gpus.$$" || true
	fi
	if [ -f "${TMPDIR:-/tmp}/sizer-gpus.$$" ]; then
		tab=$(printf '\t')
		while IFS="$tab" read -r name bytes; do add_gpu "$name" "$bytes"; done <"${TMPDIR:-/tmp}/sizer-gpus.$$"
		rm -f "${TMPDIR:-/tmp}/sizer-gpus.$$"
	fi
	;;
esac

printf '{"format": "sizer.machine-facts", "format_version": 1,\n'
printf ' "id": %s,\n' "$(json_string "${SIZER_FACTS_ID:-$(hostname)}")"
printf ' "cpu": %s,\n' "$(json_string "$cpu")"
printf ' "logical_cpus": %s,\n' "${logical:-null}"
printf ' "ram_bytes": %s,\n' "$ram"
printf ' "gpus": [%s],\n' "$gpus"
printf ' "os": %s}\n' "$(json_string "$os")"
