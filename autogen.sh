#!/bin/sh
# Generates ./configure from a fresh clone.
set -e
cd "$(dirname "$0")"
autoreconf --install --force
