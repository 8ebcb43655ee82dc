# UMLD_CHECK_CFLAG(FLAG, [ACTION-IF-OK], [ACTION-IF-NOT])
# Compiles an empty program with FLAG added (and -Werror, so that a flag the
# compiler only warns about counts as unsupported).
AC_DEFUN([UMLD_CHECK_CFLAG], [
	AS_VAR_PUSHDEF([umld_var], [umld_cv_cflag_$1])
	AC_CACHE_CHECK([whether $CC accepts $1], [umld_var], [
		umld_saved_cflags=$CFLAGS
		umld_saved_ldflags=$LDFLAGS
		CFLAGS="$CFLAGS -Werror $1"
		LDFLAGS="$LDFLAGS $1"
		AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
			[AS_VAR_SET([umld_var], [yes])], [AS_VAR_SET([umld_var], [no])])
		CFLAGS=$umld_saved_cflags
		LDFLAGS=$umld_saved_ldflags])
	AS_VAR_IF([umld_var], [yes], [$2], [$3])
	AS_VAR_POPDEF([umld_var])])
