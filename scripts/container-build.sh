#!/bin/sh
# Assembles the folder Verity's container image runs from: the built JavaScript, the pages and the
# demo's directories, and the production dependencies only (no TypeScript, no test tools).
#
#   scripts/container-build.sh SOURCE TARGET
#
# SOURCE is a checkout where `npm run build` has run (it needs dist/src); TARGET is created.
# The Dockerfile runs this script to make /app, and test/ops/container-recipe.test.ts runs the
# same script in a temporary folder and starts Verity from the result: change the image's install
# steps here, not in the Dockerfile, so the test keeps exercising what the image does.
#
# better-sqlite3's native module comes from its prebuilt download (GitHub releases), else is
# compiled (python3, make and g++). A builder without GitHub can point at a mirror of those files
# with npm_config_better_sqlite3_binary_host; the test does that with a local server.
set -eu

src=${1:?usage: container-build.sh SOURCE TARGET}
dst=${2:?usage: container-build.sh SOURCE TARGET}

if [ ! -f "$src/dist/src/cli/bin.js" ]; then
  echo "container-build: $src/dist/src/cli/bin.js is missing: run npm run build first" >&2
  exit 1
fi

mkdir -p "$dst/dist"
cp "$src/package.json" "$src/package-lock.json" "$dst/"
cp -R "$src/dist/src" "$dst/dist/src"
cp -R "$src/static" "$src/demo" "$dst/"
# Source maps point at TypeScript files that are not shipped.
find "$dst/dist" -name '*.map' -type f -exec rm -f {} +

cd "$dst"
# The package's own `prepare` script builds with TypeScript, a development dependency that is
# not installed here, so every install script is skipped...
npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# ...and then the one that matters is run: better-sqlite3's (the only production dependency with one).
npm rebuild better-sqlite3
# Fail the build, not the first request, when the native module does not load.
node -e "const Database = require('better-sqlite3'); new Database(':memory:').prepare('select 1 as one').get();"
node dist/src/cli/bin.js --version
