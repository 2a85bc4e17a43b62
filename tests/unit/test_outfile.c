/*
 * test_outfile: an output file replaced whole (lib/outfile): the new
 * contents appear only at commit, by rename (a hard link to the old file
 * keeps the old contents), abort leaves the old file, no temporary is left
 * either way, a device is written in place, and a write that fails is
 * reported at commit.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "outfile.h"
#include "tap.h"

static char dir[] = "/tmp/test_outfile.XXXXXX";

static void
put(const char *name, const char *text)
{
	FILE *fp = fopen(name, "w");

	fputs(text, fp);
	fclose(fp);
}

static const char *
get(const char *name)
{
	static char buf[256];
	FILE *fp = fopen(name, "r");
	size_t n;

	if (fp == NULL)
		return "(none)";
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* How many names in dir hold ".tmp.". */
static int
temporaries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

int
main(void)
{
	struct crm_outfile of;
	struct crm_err e;
	struct stat st;

	if (mkdtemp(dir) == NULL || chdir(dir) == -1)
		return 1;
	put("out", "old\n");
	link("out", "kept");

	TAP_OK(crm_outfile_open(&of, "out", &e) == 0 && of.tmp != NULL,
	    "a regular file is written to a temporary");
	fputs("new\n", of.fp);
	TAP_STR(get("out"), "old\n", "the old contents until commit");
	TAP_OK(temporaries() == 1, "one temporary beside it");
	TAP_OK(crm_outfile_commit(&of, &e) == 0, "commit");
	TAP_STR(get("out"), "new\n", "the new contents after commit");
	TAP_STR(get("kept"), "old\n", "a hard link keeps the old contents");
	TAP_OK(temporaries() == 0, "no temporary left after commit");
	TAP_OK(stat("out", &st) == 0 &&
		   (st.st_mode & 0777) == (0666 & ~(unsigned)umask(022)),
	    "the mode fopen would give");

	TAP_OK(crm_outfile_open(&of, "out", &e) == 0, "open again");
	fputs("half", of.fp);
	crm_outfile_abort(&of);
	TAP_STR(get("out"), "new\n", "abort leaves the file as it was");
	TAP_OK(temporaries() == 0, "no temporary left after abort");

	TAP_OK(crm_outfile_open(&of, "fresh", &e) == 0 &&
		   crm_outfile_commit(&of, &e) == 0 &&
		   strcmp(get("fresh"), "") == 0,
	    "a new name is created, empty when nothing was written");

	TAP_OK(crm_outfile_open(&of, "/dev/null", &e) == 0 && of.tmp == NULL,
	    "a device is written in place");
	TAP_OK(crm_outfile_commit(&of, &e) == 0, "commit of a device");

	TAP_OK(crm_outfile_open(&of, "/dev/full", &e) == 0, "open /dev/full "
							    "(in place)");
	fputs("x", of.fp);
	TAP_OK(crm_outfile_commit(&of, &e) == -1 && e.code == EX_IOERR &&
		   strcmp(e.msg, "cannot write '/dev/full': No space left on "
				 "device") == 0,
	    "a failed write is reported at commit: %s", e.msg);

	TAP_OK(crm_outfile_open(&of, "no/such/dir/out", &e) == -1 &&
		   e.code == EX_CANTCREAT &&
		   strcmp(e.msg, "cannot create 'no/such/dir/out': No such "
				 "file or directory") == 0,
	    "a folder that does not exist: %s", e.msg);

	unlink("out");
	unlink("kept");
	unlink("fresh");
	chdir("/");
	rmdir(dir);
	return tap_done();
}
