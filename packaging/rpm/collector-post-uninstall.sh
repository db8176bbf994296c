# isoguard-collector %postun ($1: 0 erase, 1 upgrade). The database, the inbox and the
# enrolled keys are kept (the security office's records); on upgrade, restart the service if
# it runs so the new binary is used.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -ge 1 ]; then
        systemctl try-restart isoguard-collector.service >/dev/null 2>&1 || :
    fi
fi
exit 0
