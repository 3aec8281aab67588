#!/bin/sh
# The layout probe of boinc-persist conform: reports, as key=value lines in probe.txt (WORKDIR), what the job
# can see and do: its inputs (a copy by logical name, a link file resolved to /project as BOINC's sample app
# does), the project directory at /project, a write outside WORKDIR.
{
  if mkdir -p /opt 2>/dev/null && echo probe > /opt/conform-probe 2>/dev/null; then echo "opt_write=written"; else echo "opt_write=refused"; fi
  if [ -r /project/work.sh ] && head -c 9 /project/work.sh | grep -q '^#!/bin/sh'; then echo "project_read=ok"; else echo "project_read=missing"; fi
  if echo probe > /project/conform-probe 2>/dev/null; then echo "project_write=written"; else echo "project_write=refused"; fi
  echo "copy_input=$(head -c 200 copied_input.txt 2>/dev/null | tr '\n' ' ' | sed 's/ *$//')"
  # BOINC's contract for link files (G17): read the link file as the client wrote it and open its target under
  # project_dir_mount, as BOINC's docker_wrapper sample app does.
  linked=$(sed -e 's#^[[:space:]]*<soft_link>\.\./\.\./projects/[^/]*/#/project/#' -e 's#</soft_link>.*$##' linked_input.txt 2>/dev/null | tr -d '\r\n')
  echo "link_input=$(head -c 200 "$linked" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//')"
} > probe.tmp
mv probe.tmp probe.txt
