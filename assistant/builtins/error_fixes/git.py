"""git: merge conflicts, rejected pushes, missing upstreams, keys, stashes and the like."""

from __future__ import annotations

from assistant.builtins.error_fixes.table import FixEntry, rx

# "$ git push origin main" on the screen above the error names the remote and branch
_PUSH_LINE = rx(r"git\s+push\s+(?:-\S+\s+)*(?P<remote>[\w.\-]+)\s+(?P<branch>[\w.\-/]+)\s*$")
_REJECTED = rx(r"!\s*\[(?:rejected|remote\s*rejected)\]\s*(?P<branch>[\w.\-/]+)\s*->")


def _conflict_file(names: dict[str, str]) -> dict[str, str] | None:
    file = names.get("file") or names.get("file2", "")
    return {"file": file} if file else None


def _push(names: dict[str, str]) -> dict[str, str]:
    remote, branch = names.get("remote", ""), names.get("branch", "")
    if remote and branch:
        return {"_command": "git pull --rebase {remote} {branch} && git push {remote} "
                            "{branch}"}
    return {}


ENTRIES: tuple[FixEntry, ...] = (
    FixEntry("git.conflict",
             rx(r"CONFLICT\s*\((?P<kind>[\w/ ]+)\)\s*:\s*(?:Merge\s*conflict\s*in\s*"
                r"(?P<file>\S+)|(?P<file2>\S+)\s*deleted)"),
             "git could not merge {file} by itself",
             "Both sides changed the same lines of {file}",
             "Edit {file}: keep the right text between the <<<<<<<, ======= and >>>>>>> "
             "markers and delete the markers, then mark it resolved and commit",
             "git add {file} && git commit", rank=3,
             derive=_conflict_file),
    FixEntry("git.merge_failed",
             rx(r"Automatic\s*merge\s*failed|you\s*need\s*to\s*resolve\s*your\s*current\s*"
                r"index|Pulling\s*is\s*not\s*possible\s*because\s*you\s*have\s*unmerged|"
                r"have\s*unmerged\s*files|fix\s*conflicts\s*and\s*then\s*commit"),
             "git stopped with merge conflicts",
             "Some files have changes from both sides that git could not combine",
             "Open each conflicted file (git status lists them), resolve the <<<<<<< "
             "markers, then git add the files and commit", "git status", rank=2),
    FixEntry("git.push_rejected",
             rx(r"Updates\s*were\s*rejected\s*because\s*(?:the\s*remote\s*contains\s*work|"
                r"the\s*tip\s*of\s*your\s*current\s*branch\s*is\s*behind)|"
                r"!\s*\[rejected\]\s*\S+\s*->\s*\S+\s*\((?:fetch\s*first|non-fast-forward)\)"),
             "git refused the push to {branch}",
             "The remote has commits you do not have yet",
             "Get them first, replaying your commits on top, then push again",
             "git pull --rebase && git push", rank=3, derive=_push,
             context=(_PUSH_LINE, _REJECTED), defaults={"branch": "the branch"}),
    FixEntry("git.push_failed",
             rx(r"failed\s*to\s*push\s*some\s*refs\s*to\s*{Q}?(?P<url>[^'\"`‘’\s]+)"),
             "git could not push to {url}",
             "The lines above say why; most often the remote has commits you do not have",
             "Pull with rebase, then push again", "git pull --rebase && git push", rank=1),
    FixEntry("git.no_upstream",
             rx(r"The\s*current\s*branch\s*(?P<branch>[\w.\-/]+)\s*has\s*no\s*upstream"),
             "The branch {branch} has no upstream branch yet",
             "git does not know where on the remote to push it",
             "Push it once with --set-upstream", "git push --set-upstream origin {branch}",
             rank=3),
    FixEntry("git.not_a_repo", rx(r"not\s*a\s*git\s*repository"),
             "This folder is not inside a git repository",
             "The command ran outside the project, or the project was never initialised",
             "Go to the project folder, or create a repository here", "git init", rank=3),
    FixEntry("git.local_changes",
             rx(r"Your\s*local\s*changes\s*to\s*the\s*following\s*files\s*would\s*be\s*"
                r"overwritten\s*by\s*(?P<op>merge|checkout|switch)"),
             "The {op} would overwrite your uncommitted changes",
             "Files you changed differ in the branch or commit you are bringing in",
             "Commit them, or put them aside with stash, run the {op} again, then bring "
             "them back with git stash pop", "git stash", rank=3),
    FixEntry("git.untracked_overwritten",
             rx(r"untracked\s*working\s*tree\s*files\s*would\s*be\s*overwritten"),
             "Untracked files would be overwritten",
             "Files that git does not track have the same names as tracked files coming in",
             "Move those files away, or stash them with -u", "git stash -u", rank=3),
    FixEntry("git.pathspec",
             rx(r"pathspec\s*{Q}(?P<name>[^'\"`‘’]+){Q}\s*did\s*not\s*match"),
             "git knows no branch or file called {name}",
             "It is misspelt, or the branch exists only on the remote and was not fetched",
             "Fetch, then check the exact names", "git fetch --all && git branch -a",
             rank=3),
    FixEntry("git.publickey",
             rx(r"(?:(?P<host>[\w.\-]+@[\w.\-]+)\s*:\s*)?Permission\s*denied\s*\(publickey"),
             "The server refused your SSH key",
             "No SSH key of yours is registered with the server, or the agent does not "
             "offer it",
             "Add your public key (~/.ssh/id_ed25519.pub) to your account there, then test "
             "the connection", "ssh -T {host}", rank=3,
             context=(rx(r"(?P<host>git@[\w.\-]+)"),)),
    FixEntry("git.auth_failed",
             rx(r"Authentication\s*failed\s*for\s*{Q}?(?P<url>[^'\"`‘’\s]+)"),
             "git could not sign in to {url}",
             "Most hosts no longer accept account passwords over HTTPS",
             "Use a personal access token as the password, or switch the remote to SSH",
             rank=3),
    FixEntry("git.unrelated",
             rx(r"refusing\s*to\s*merge\s*unrelated\s*histories"),
             "git refused to merge two unrelated histories",
             "The two branches share no commit, as when a new repository is pulled into "
             "another", "If you mean to join them, allow it once",
             "git pull --allow-unrelated-histories", rank=3),
    FixEntry("git.remote_exists",
             rx(r"remote\s*(?P<remote>[\w.\-]+)\s*already\s*exists"),
             "The remote {remote} already exists",
             "It was added before, perhaps with another address",
             "Change its address instead of adding it", "git remote set-url {remote} URL",
             rank=3),
    FixEntry("git.src_refspec",
             rx(r"src\s*refspec\s*(?P<branch>[\w.\-/]+)\s*does\s*not\s*match\s*any"),
             "git has no local branch {branch} to push",
             "There is no commit yet, or your branch has another name (master or main)",
             "Commit first, or push the branch you are on", "git push origin HEAD",
             rank=3),
    FixEntry("git.detached",
             rx(r"detached\s*HEAD"),
             "You are on a detached HEAD",
             "You checked out a commit, not a branch; new commits here belong to no branch",
             "Make a branch here to keep your work", "git switch -c new-branch", rank=2),
    FixEntry("git.clone_exists",
             rx(r"destination\s*path\s*{Q}(?P<path>[^'\"`‘’]+){Q}\s*already\s*exists"),
             "The folder {path} already exists",
             "git clone will not write into a folder that is not empty",
             "Clone into another folder name, or remove that one first", rank=3),
    FixEntry("git.repo_not_found",
             rx(r"repository\s*{Q}(?P<url>[^'\"`‘’]+){Q}\s*not\s*found|"
                r"ERROR\s*:\s*Repository\s*not\s*found"),
             "git can't find the repository {url}",
             "The address is misspelt, or it is private and you are not signed in "
             "with access", "Check the address and your access to it", rank=3),
)
