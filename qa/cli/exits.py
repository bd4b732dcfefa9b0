"""The `qa` command's exit statuses: 0 done, 1 an error stopped the work, 2 bad usage or settings
(found before any work starts), 3 an ingest finished but skipped some inputs, 130 interrupted."""

from qa.errors import CodedError

EXIT_DONE = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SKIPPED = 3
EXIT_INTERRUPTED = 130

# The exit status of every error code a command can stop with, the domain's and the commands' own;
# a test checks that every domain code is listed.
EXIT_BY_CODE = {
    # the domain's (qa.errors and the errors built on them)
    "error": EXIT_ERROR,
    "invalid_input": EXIT_ERROR,
    "invalid_article": EXIT_ERROR,
    "too_large": EXIT_ERROR,
    "article_not_found": EXIT_ERROR,
    "not_permitted": EXIT_ERROR,
    "source_not_found": EXIT_ERROR,
    "version_conflict": EXIT_ERROR,
    "index_not_found": EXIT_ERROR,
    "storage_unavailable": EXIT_ERROR,
    "index_incompatible": EXIT_ERROR,
    "index_busy": EXIT_ERROR,
    "model_unavailable": EXIT_ERROR,
    "backup_failed": EXIT_ERROR,
    "speech_pipeline_missing": EXIT_ERROR,
    # the commands' own
    "input_missing": EXIT_ERROR,  # qa ingest: a path that does not exist
    "cannot_listen": EXIT_ERROR,  # qa serve: the address is taken or not this machine's (api.server.run)
}


def exit_status(error: CodedError) -> int:
    return EXIT_BY_CODE.get(error.code, EXIT_ERROR)
