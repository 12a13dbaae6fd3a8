#!/bin/sh
# zoom-attendees CGI wrapper, for hosts that run CGI programs through suexec
# (as your own user) and so drop the SetEnv of zoom-attendees.htaccess.
#
# Upload this file as ~/public_html/api/zoom/zoom-attendees.cgi (chmod 755)
# in place of the binary; put the binary outside the web root, with its
# settings beside it, where it finds them without any variable:
#   ~/bin/zoom-attendees          the binary, chmod 755
#   ~/bin/zoom-attendees.conf     the settings, chmod 600
# and replace /home/USER below by your home directory.
exec /home/USER/bin/zoom-attendees
