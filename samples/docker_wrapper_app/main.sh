#!/bin/sh
# The app's entry point (an app-version file the client copies into the slot). Like BOINC's docker_wrapper
# sample it reads its input through the link file the client wrote: `in` holds
# <soft_link>../../projects/<project dir>/<file></soft_link>, and the project directory is at /project.

# The path inside the container of the file a link file points to.
link_target() {
    sed -e 's#^[[:space:]]*<soft_link>\.\./\.\./projects/[^/]*/#/project/#' -e 's#</soft_link>.*$##' "$1" | tr -d '\r\n'
}

exec ./worker "$@" "$(link_target in)" out
