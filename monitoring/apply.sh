#!/usr/bin/env bash
# Applies the monitoring assets to a Firebase/GCP project with gcloud (docs/operations.md "Monitoring in the Cloud console"):
#   PROJECT=my-project [COST_BUDGET_USD_PER_DAY=20] [NOTIFICATION_CHANNEL=projects/…/notificationChannels/…] \
#     bash monitoring/apply.sh
# Log-based metrics are created or updated, the dashboard is created (a second run creates a second copy: delete the
# old one in the console or with `gcloud monitoring dashboards delete`), alert policies are created with the budget
# substituted and the notification channel attached when given.
set -euo pipefail
cd "$(dirname "$0")"
: "${PROJECT:?set PROJECT to the Firebase project id}"
BUDGET="${COST_BUDGET_USD_PER_DAY:-20}"
for file in metrics/*.json; do
  name="$(basename "$file" .json)"
  if gcloud logging metrics describe "$name" --project "$PROJECT" >/dev/null 2>&1; then
    gcloud logging metrics update "$name" --project "$PROJECT" --config-from-file "$file"
  else
    gcloud logging metrics create "$name" --project "$PROJECT" --config-from-file "$file"
  fi
done
gcloud monitoring dashboards create --project "$PROJECT" --config-from-file dashboard.json
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for file in alerts/*.json; do
  sed "s/\${COST_BUDGET_USD_PER_DAY}/$BUDGET/g" "$file" > "$tmp/$(basename "$file")"
  args=(--project "$PROJECT" --policy-from-file "$tmp/$(basename "$file")")
  if [ -n "${NOTIFICATION_CHANNEL:-}" ]; then args+=(--notification-channels "$NOTIFICATION_CHANNEL"); fi
  gcloud alpha monitoring policies create "${args[@]}"
done
