#!/bin/sh
# meson install step: puts the shipped config files into the config
# directory only where they are missing, so that a re-install or an upgrade
# never overwrites what the operator changed. The shipped versions are
# always in SRC_DIR for comparison (diff SRC_DIR/hub.conf /etc/minqing/hub.conf).
# usage: install-conf.sh SRC_DIR DEST_DIR FILE...
set -eu
src=$1 dest=${DESTDIR:-}$2
shift 2
mkdir -p "$dest"
for f in "$@"; do
	if [ -e "$dest/$f" ]; then
		echo "keeping $dest/$f (the shipped one is $src/$f)"
	else
		cp "${DESTDIR:-}$src/$f" "$dest/$f"
		chmod 0644 "$dest/$f"
		echo "installing $dest/$f"
	fi
done
