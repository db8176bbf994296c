# isoguard agent %post ($1: 1 first install, 2 upgrade). The same steps as the Debian postinst:
# folders created when missing, the host key generated only when there is none (never
# overwritten), and the boot unit enabled on first install only (an admin's later
# `systemctl disable` survives upgrades). `systemctl enable` works without a running systemd.
KEY=/etc/isoguard/host.key
LIB=/var/lib/isoguard
MARK=$LIB/package-key.sha256
[ -d "$LIB" ] || install -d -m 0750 -o root -g root "$LIB"
[ -d "$LIB/outbox" ] || install -d -m 0750 -o root -g root "$LIB/outbox"
[ -d "$LIB/state" ] || install -d -m 0700 -o root -g root "$LIB/state"
if [ ! -e "$KEY" ] && [ ! -e "$KEY.pub" ]; then
    /usr/bin/isoguard keygen --out "$KEY" | sed 's/^/isoguard: /'
    sha256sum "$KEY.pub" | cut -d' ' -f1 > "$MARK"
    echo "isoguard: enrol $KEY.pub at the collector (see the operator guide)"
elif [ ! -e "$KEY" ] || [ ! -e "$KEY.pub" ]; then
    echo "isoguard: warning: only one of $KEY and $KEY.pub exists; no key generated" >&2
fi
if [ "$1" -eq 1 ] && command -v systemctl >/dev/null 2>&1; then
    systemctl enable isoguard-boot.service isoguard-watch.service >/dev/null 2>&1 || :
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
