"""Case pages: worklists (工作台), detail with actions, search and export, new-case form."""
