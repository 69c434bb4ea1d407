#!/bin/sh
# The C sources are formatted with the committed .clang-format.
#   check-format.sh SRCDIR
cd "$1" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || files=$(find . -name '*.[ch]' -not -path './build*')
if clang-format --dry-run -Werror $files; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"; exit 1
fi
