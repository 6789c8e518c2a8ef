#!/bin/sh
# CodeDeploy's ApplicationStart hook for the example app: serve the new files.
set -eu
systemctl reload nginx 2>/dev/null || systemctl restart nginx
