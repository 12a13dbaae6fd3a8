#!/bin/sh
# Install the Debian packages the build, the tests and `make run` need,
# plus any named as arguments; only those missing. Needs root (CI runs as root) when anything is missing.
set -eu

PKGS="gcc make pkg-config libfcgi-dev libfcgi-bin libcurl4-openssl-dev libcjson-dev libunistring-dev libssl-dev
libcmocka-dev python3 nginx apache2 libapache2-mod-fcgid spawn-fcgi valgrind curl
openssl systemd man-db groff-base"

# Node for the migration suite (tests/migration: a SvelteKit app built with
# npm): Debian's nodejs and npm, unless node and npm are already on PATH.
# Asked by command, not by package: NodeSource's nodejs bundles npm and
# conflicts with Debian's npm package, which apt-get would then refuse.
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

# Extra packages for one target (e.g. `make bench`) come as arguments.
PKGS="$PKGS $*"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: not root; install these packages first:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
