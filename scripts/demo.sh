#!/usr/bin/env bash
# The offline demo: lays out a BOINC data directory the way the client does (projects/<dir>/ with the
# physical files, slots/0/ with init_data.xml, link files and a copied input), then runs
# `boinc-persist check` and `boinc-persist plan` on the slot. Needs only the .NET SDK; no engine, no network.
# Running the planned container is the next step of the project (issue "Run a job in a real container").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Shell -c Release -v:quiet -nologo >/dev/null
bp=src/Shell/bin/Release/net10.0/boinc-persist

data=${DEMO_DIR:-$(mktemp -d /tmp/boinc-persist-demo.XXXXXX)}
proj=example.org_demo
mkdir -p "$data/projects/$proj" "$data/slots/0"
cp samples/demo/job.toml "$data/projects/$proj/job_1.toml"
cp samples/demo/Dockerfile "$data/projects/$proj/Dockerfile_1"
cp samples/demo/lcg.sh "$data/projects/$proj/lcg.sh"
echo "hello from the project directory" > "$data/projects/$proj/in_1.txt"

slot=$data/slots/0
link() { printf '<soft_link>../../projects/%s/%s</soft_link>\n' "$proj" "$2" > "$slot/$1"; }
link job.toml job_1.toml
link Dockerfile Dockerfile_1
link in in_1.txt
echo "a copied input (<copy_file/>)" > "$slot/params.txt"
cat > "$slot/init_data.xml" <<XML
<app_init_data>
<major_version>7</major_version>
<minor_version>20</minor_version>
<release>5</release>
<app_name>demo</app_name>
<project_dir>$data/projects/$proj</project_dir>
<wu_name>demo_wu_1</wu_name>
<result_name>demo_wu_1_0</result_name>
<slot>0</slot>
<wu_cpu_time>0.000000</wu_cpu_time>
<ncpus>1.000000</ncpus>
<rsc_memory_bound>268435456.000000</rsc_memory_bound>
<checkpoint_period>60.000000</checkpoint_period>
<shm_key>-1</shm_key>
</app_init_data>
XML

echo "== boinc-persist check $slot"
"$bp" check "$slot"
echo
echo "== boinc-persist plan $slot"
"$bp" plan "$slot" -- --steps 30
echo
echo "(BOINC data directory left in $data)"
