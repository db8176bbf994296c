# isoguard agent %postun ($1: 0 erase, 1 upgrade). RPM has no purge: an erase keeps the host
# key, the findings in /var/lib/isoguard/outbox and the chain state, like `dpkg -r`; a
# modified /etc/isoguard/config.toml is kept as config.toml.rpmsave. Deleting them is left to
# the administrator (commands in the operator guide).
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
