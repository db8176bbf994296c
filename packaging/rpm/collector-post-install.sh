# isoguard-collector %post ($1: 1 first install, 2 upgrade). The same steps as the Debian
# postinst: the system user, the database folder and its group-writable inbox, the trust
# folder. The service is not enabled: enrol host keys first, then
#   systemctl enable --now isoguard-collector.service
USER=isoguard-collector
LIB=/var/lib/isoguard-collector
if ! getent passwd "$USER" >/dev/null; then
    useradd --system --user-group --home-dir "$LIB" --no-create-home \
        --shell /sbin/nologin --comment "isoguard collector" "$USER"
fi
[ -d "$LIB" ] || install -d -m 0750 -o "$USER" -g "$USER" "$LIB"
[ -d "$LIB/inbox" ] || install -d -m 2770 -o "$USER" -g "$USER" "$LIB/inbox"
[ -d /etc/isoguard-collector/trust ] || install -d -m 0755 -o root -g root /etc/isoguard-collector/trust
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
