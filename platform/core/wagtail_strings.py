# ruff: noqa: E501
"""Wagtail 8.0.1's own strings that its Japanese catalogue leaves in English.

Wagtail ships a partial Japanese translation (about 900 of its messages are missing,
among them "Go to the first error", "New: %(model_name)s", "Filter by", "Privacy and
access", "Last login"). The project's catalogue (``LOCALE_PATHS``) takes precedence
over the apps' catalogues, so the missing messages are translated there; this module
only lists their msgids, exactly as Wagtail spells them, so that ``makemessages`` keeps
them in ``locale/ja/LC_MESSAGES/django.po``. It is never imported. Wagtail's JavaScript
messages are in ``locale/ja/LC_MESSAGES/djangojs.po`` (not extracted; kept by hand).

Regenerate the list after a Wagtail upgrade by comparing Wagtail's ``en`` catalogues
with its ``ja`` ones (see ``tests/platform/test_i18n_wagtail.py``).
"""

from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = (
    # Wagtail's paginator and keyboard-shortcuts dialog: words the project once gave
    # another meaning (費目, 口座), now in contexts of their own.
    gettext_noop("item"),
    gettext_noop("account"),
    gettext_noop("Report this error to your website administrator with the following information:"),
    gettext_noop("any"),
    gettext_noop("%(range_start)s - %(range_end)s"),
    gettext_noop("You do not have permission to access the admin."),
    gettext_noop("Minimum"),
    gettext_noop("Maximum"),
    gettext_noop("Locale"),
    gettext_noop("Usage count"),
    gettext_noop("Tag"),
    gettext_noop("Filter by up to ten most popular tags."),
    gettext_noop("Use server language: %(language_name)s"),
    gettext_noop("Use server time zone"),
    gettext_noop(
        "Select hierarchical position. Note: a collection cannot become a child of itself or one of its descendants."
    ),
    gettext_noop("Please select another parent."),
    gettext_noop("Expiry date/time must be in the future."),
    gettext_noop("Keep the new pages updated with future changes"),
    gettext_noop('You do not have permission to publish pages at "%(page_title)s"'),
    gettext_noop("The slug '%(page_slug)s' is already in use within the parent page."),
    gettext_noop("Select a new parent for this page."),
    gettext_noop("The new page will be a child of this given parent page."),
    gettext_noop('You do not have permission to create a page under "%(page_title)s".'),
    gettext_noop('You cannot create a page of type "%(page_type)s" under "%(page_title)s".'),
    gettext_noop("Search…"),
    gettext_noop("Tag(s) %(value_too_long)s are over %(max_tag_length)d characters."),
    gettext_noop("Snippet '%(content_type)s' already has workflow '%(workflow_name)s' assigned."),
    gettext_noop("1 page selected"),
    gettext_noop("%(objects)s pages selected"),
    gettext_noop("All %(objects)s pages on this screen selected"),
    gettext_noop("All pages in listing selected"),
    gettext_noop("1 document selected"),
    gettext_noop("%(objects)s documents selected"),
    gettext_noop("All %(objects)s documents on this screen selected"),
    gettext_noop("All documents in listing selected"),
    gettext_noop("1 image selected"),
    gettext_noop("%(objects)s images selected"),
    gettext_noop("All %(objects)s images on this screen selected"),
    gettext_noop("All images in listing selected"),
    gettext_noop("1 user selected"),
    gettext_noop("%(objects)s users selected"),
    gettext_noop("All %(objects)s users on this screen selected"),
    gettext_noop("All users in listing selected"),
    gettext_noop("1 snippet selected"),
    gettext_noop("%(objects)s snippets selected"),
    gettext_noop("All %(objects)s snippets on this screen selected"),
    gettext_noop("All snippets in listing selected"),
    gettext_noop("1 item selected"),
    gettext_noop("%(objects)s items selected"),
    gettext_noop("All %(objects)s items on this screen selected"),
    gettext_noop("All items in listing selected"),
    gettext_noop("Can access Wagtail admin"),
    gettext_noop("items"),
    gettext_noop("Default avatar"),
    gettext_noop("Sidebar"),
    gettext_noop("Go to the first error"),
    gettext_noop("Go back"),
    gettext_noop("Bulk actions"),
    gettext_noop("Select"),
    gettext_noop("Select row"),
    gettext_noop("Select all"),
    ngettext_lazy("There is %(counter)s match", "There are %(counter)s matches"),
    ngettext_lazy(
        'Only pages of type "%(type)s" may be chosen for this field. Search results will exclude pages of other types.',
        "Only the following page types may be chosen for this field: %(type)s. Search results will exclude pages of other types.",
    ),
    gettext_noop("Confirm selection"),
    gettext_noop("Convert to internal link"),
    gettext_noop(
        'The URL you entered, <a target="_blank" rel="noreferrer" href="%(submitted_url)s">%(submitted_url)s</a>, looks like it matches the internal page %(page)s, which has the URL <a target="_blank" rel="noreferrer" href="%(internal_url)s">%(internal_url)s</a>.'
    ),
    gettext_noop(
        "Converting this to an internal link to %(page)s would make the link automatically update if the underlying page changes its URL. Would you like to do this?"
    ),
    gettext_noop("Use external link"),
    gettext_noop("Select %(title)s"),
    gettext_noop("Change privacy"),
    gettext_noop('Sorry, there are no matches for "<em>%(search_query)s</em>"'),
    gettext_noop("There are no results."),
    gettext_noop("Are you sure you want to unpublish this %(model_name)s?"),
    gettext_noop("Publish %(model_name)s"),
    gettext_noop(
        "This %(model_name)s was marked as needing changes at <strong>%(task)s</strong> in <strong>%(workflow)s</strong>."
    ),
    gettext_noop(
        "This %(model_name)s is currently at <strong>%(task)s</strong> in <strong>%(workflow)s</strong>."
    ),
    gettext_noop("Publishing this %(model_name)s will cancel the current workflow."),
    gettext_noop("Would you still like to publish this %(model_name)s?"),
    gettext_noop("Actions (footer)"),
    gettext_noop(
        'There are no %(model_name)s to display. Why not <a href="%(add_url)s">add one</a>?'
    ),
    gettext_noop("Preview not available"),
    gettext_noop(
        "Preview cannot display due to validation errors. <br /> Click save to highlight the relevant fields."
    ),
    ngettext_lazy("Moved down 1 place.", "Moved down %(counter)s places."),
    ngettext_lazy("Moved up 1 place.", "Moved up %(counter)s places."),
    gettext_noop("There are no differences between these two versions"),
    gettext_noop("Wagtail %(current_version)s editor guide"),
    gettext_noop("Privacy and access"),
    ngettext_lazy(
        '%(total)s Page <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Pages <span class="w-sr-only">created in %(site_name)s</span>',
    ),
    gettext_noop("Wagtail upgrade available"),
    gettext_noop(
        'Your version: <strong>%(current_version)s</strong>. New version: <strong data-w-upgrade-target="latestVersion"></strong>.'
    ),
    gettext_noop("Read the release notes."),
    gettext_noop("Your pages and snippets in a workflow"),
    gettext_noop("Things in Wagtail %(version)s have changed!"),
    gettext_noop(
        'Don\'t worry, we\'ve got your back. Check out the <a class="w-whats-new__link" href="%(editor_guide_link)s" target="_blank" rel="noreferrer">Wagtail Editor Guide</a> to get the low down on what\'s changed and some exciting new features!'
    ),
    gettext_noop("Task submitted by"),
    gettext_noop("Remember me"),
    gettext_noop('The page "%(title)s" has been approved in moderation stage "%(task)s".'),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been approved in moderation stage "%(task)s".'
    ),
    gettext_noop("You can edit the %(model_name)s here:"),
    gettext_noop('The page "%(title)s" has been approved in "%(task)s".'),
    gettext_noop('The %(model_name)s "%(title)s" has been approved in "%(task)s".'),
    gettext_noop('The page "%(title)s" has been rejected in moderation stage "%(task)s".'),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been rejected in moderation stage "%(task)s".'
    ),
    gettext_noop('The page "%(title)s" has been rejected during "%(task)s".'),
    gettext_noop('The %(model_name)s "%(title)s" has been rejected during "%(task)s".'),
    gettext_noop(
        'The page "%(title)s" has been submitted for approval in moderation stage "%(task)s".'
    ),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been submitted for approval in moderation stage "%(task)s".'
    ),
    gettext_noop("You can preview the %(model_name)s here:"),
    gettext_noop(
        'The page "%(title)s" has been submitted for approval to moderation stage "%(task)s".'
    ),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been submitted for approval to moderation stage "%(task)s".'
    ),
    gettext_noop(
        'The page "%(title)s" has been submitted for approval in moderation stage "%(task)s"'
    ),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been submitted for approval in moderation stage "%(task)s"'
    ),
    gettext_noop('%(editor)s has updated comments on "%(title)s".'),
    gettext_noop('%(editor)s has updated comments on "%(title)s"'),
    gettext_noop('The page "%(title)s" has been approved in workflow "%(workflow)s".'),
    gettext_noop('The %(model_name)s "%(title)s" has been approved in workflow "%(workflow)s".'),
    gettext_noop('The page "%(title)s" has been approved in "%(workflow)s".'),
    gettext_noop('The %(model_name)s "%(title)s" has been approved in "%(workflow)s".'),
    gettext_noop(
        'The page "%(title)s" has been rejected during "%(task)s" in workflow "%(workflow)s" by %(rejector)s.'
    ),
    gettext_noop(
        'The page "%(title)s" has been rejected during "%(task)s" in workflow "%(workflow)s".'
    ),
    gettext_noop('The following comment was left: "%(comment)s"'),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been rejected during "%(task)s" in workflow "%(workflow)s" by %(rejector)s.'
    ),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been rejected during "%(task)s" in workflow "%(workflow)s".'
    ),
    gettext_noop('The page "%(title)s" has been rejected during "%(workflow)s".'),
    gettext_noop('The %(model_name)s "%(title)s" has been rejected during "%(workflow)s".'),
    gettext_noop(
        'The page "%(title)s" has been submitted for moderation to workflow "%(workflow)s" by %(requester)s.'
    ),
    gettext_noop(
        'The page "%(title)s" has been submitted for moderation to workflow "%(workflow)s".'
    ),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been submitted for moderation to workflow "%(workflow)s" by %(requester)s.'
    ),
    gettext_noop(
        'The %(model_name)s "%(title)s" has been submitted for moderation to workflow "%(workflow)s".'
    ),
    gettext_noop('The page "%(title)s" has been submitted to workflow "%(workflow)s"'),
    gettext_noop('The %(model_name)s "%(title)s" has been submitted to workflow "%(workflow)s"'),
    gettext_noop("Changing the privacy for this page has been disabled."),
    gettext_noop("Scheduling…"),
    gettext_noop("Schedule to publish"),
    gettext_noop("Sorry, you cannot create a page at this location."),
    ngettext_lazy("Delete 1 page", "Delete %(counter)s pages"),
    gettext_noop("Are you sure you want to delete these pages?"),
    ngettext_lazy(
        "This will also delete one more subpage.",
        "This will also delete %(counter)s more subpages.",
    ),
    ngettext_lazy(
        "You don't have permission to delete this page",
        "You don't have permission to delete these pages",
    ),
    ngettext_lazy("Move 1 page", "Move %(counter)s pages"),
    gettext_noop("Are you sure you want to move these pages?"),
    ngettext_lazy("This page has one child page", "This page has %(counter)s child pages"),
    ngettext_lazy(
        "You don't have permission to move this page",
        "You don't have permission to move these pages",
    ),
    ngettext_lazy(
        "The following page cannot be moved to %(dest_title)s",
        "The following pages cannot be moved to %(dest_title)s",
    ),
    ngettext_lazy(
        "The following page cannot be moved due to duplicate slug",
        "The following pages cannot be moved due to duplicate slugs",
    ),
    gettext_noop("There is no valid destination page for these pages"),
    gettext_noop("Yes, move these pages"),
    gettext_noop("No, don't move"),
    ngettext_lazy("Publish 1 page", "Publish %(counter)s pages"),
    gettext_noop("Are you sure you want to publish these pages?"),
    ngettext_lazy(
        "This page has one unpublished subpage", "This page has %(counter)s unpublished subpages"
    ),
    ngettext_lazy(
        "You don't have permission to publish this page",
        "You don't have permission to publish these pages",
    ),
    gettext_noop("Yes, publish"),
    gettext_noop("No, don't publish"),
    ngettext_lazy("Unpublish 1 page", "Unpublish %(counter)s pages"),
    gettext_noop("Are you sure you want to unpublish these pages?"),
    ngettext_lazy("This page has one subpage", "This page has %(counter)s subpages"),
    ngettext_lazy(
        "You don't have permission to unpublish this page",
        "You don't have permission to unpublish these pages",
    ),
    gettext_noop("Yes, unpublish"),
    gettext_noop("Convert alias %(title)s"),
    gettext_noop("Convert alias"),
    gettext_noop("Are you sure you want to convert this alias into an ordinary page?"),
    gettext_noop("No, leave it as an alias"),
    ngettext_lazy(
        "Deleting this page will also delete %(descendant_count)s child page.",
        "Deleting this page will also delete %(descendant_count)s more child pages.",
    ),
    ngettext_lazy(
        "It will also delete 1 translation and its combined %(translation_descendant_count)s translated child page.",
        "It will also delete 1 translation and its combined %(translation_descendant_count)s translated child pages.",
    ),
    ngettext_lazy(
        "It will also delete %(translation_count)s translations and their combined %(translation_descendant_count)s translated child page.",
        "It will also delete %(translation_count)s translations and their combined %(translation_descendant_count)s translated child pages.",
    ),
    ngettext_lazy(
        "It will also delete %(translation_count)s translation.",
        "It will also delete %(translation_count)s translations.",
    ),
    ngettext_lazy(
        "Deleting this page will also delete 1 translation and its combined %(translation_descendant_count)s translated child page.",
        "Deleting this page will also delete 1 translation and its combined %(translation_descendant_count)s translated child pages.",
    ),
    ngettext_lazy(
        "Deleting this page will also delete %(translation_count)s translations and their combined %(translation_descendant_count)s translated child page.",
        "Deleting this page will also delete %(translation_count)s translations and their combined %(translation_descendant_count)s translated child pages.",
    ),
    ngettext_lazy(
        "Deleting this page will also delete %(translation_count)s translation of this page.",
        "This will also delete %(descendant_count)s more child pages. Deleting this page will also delete %(translation_count)s translations of this page.",
    ),
    ngettext_lazy(
        "This will also move one translation of this page and its child pages",
        "This will also move %(translations_to_move_count)s translations of this page and their child pages",
    ),
    ngettext_lazy(
        "This will also unpublish one translation of the page.",
        "This will also unpublish all %(translation_count)s translations of the page.",
    ),
    ngettext_lazy(
        "This page has one subpage and its translations have a combined one translated child page. Unpublish these too",
        "This page has %(live_descendant_count)s child pages and its translations have a combined one translated child page. Unpublish these too",
    ),
    ngettext_lazy(
        "This page has one child page and its translations have a combined %(translation_descendant_count)s translated child pages. Unpublish these too",
        "This page has %(live_descendant_count)s child pages and its translations have a combined %(translation_descendant_count)s translated child pages. Unpublish these too",
    ),
    ngettext_lazy(
        "This page has one subpage. Unpublish this too",
        "This page has %(live_descendant_count)s subpages. Unpublish these too",
    ),
    gettext_noop(
        "This page was marked as needing changes at <strong>%(task)s</strong> in <strong>%(workflow)s</strong>."
    ),
    gettext_noop(
        "This page is currently at <strong>%(task)s</strong> in <strong>%(workflow)s</strong>."
    ),
    gettext_noop("Publishing this page will cancel the current workflow."),
    gettext_noop("Would you still like to publish this page?"),
    gettext_noop("This page is an alias of another page."),
    gettext_noop("Convert this alias into an ordinary page"),
    gettext_noop(
        "The root level is where you can add new sites to your Wagtail installation. Pages created here will not be accessible at any URL until they are associated with a site."
    ),
    gettext_noop(
        "If you just want to add pages to an existing site, create them as children of the homepage instead."
    ),
    gettext_noop(
        "Pages created here will not be accessible at any URL. To add pages to an existing site, create them as children of the homepage."
    ),
    gettext_noop(
        "There is no site set up for this location. Pages created here will not be accessible at any URL until a site is associated with this location."
    ),
    gettext_noop(
        "There is no site record for this location. Pages created here will not be accessible at any URL."
    ),
    gettext_noop("Select all pages in listing"),
    gettext_noop("This page is locked, by you, to further editing"),
    gettext_noop(
        "%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s across entire site."
    ),
    gettext_noop("No results across entire site."),
    gettext_noop("Search in '<span class=\"w-title-ellipsis\">%(title)s</span>'"),
    gettext_noop(
        "%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s in '<span class=\"w-title-ellipsis\">%(title)s</span>'."
    ),
    gettext_noop("No results in '<span class=\"w-title-ellipsis\">%(title)s</span>'."),
    gettext_noop("Search the whole site"),
    gettext_noop("%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s"),
    ngettext_lazy("There is one matching page", "There are %(counter)s matching pages"),
    gettext_noop("Sorry, no pages match <em>%(query_string)s</em>"),
    gettext_noop("Choose when this %(model_name)s should go live and/or expire"),
    gettext_noop("Choose when this page should go live and/or expire"),
    gettext_noop(
        'This publishing schedule will only take effect after you select the "Schedule to publish" option'
    ),
    gettext_noop("Anyone with editing permissions can create schedules"),
    gettext_noop("But only those with publishing permissions can make them effective."),
    gettext_noop("Set publishing schedule"),
    gettext_noop("Save schedule"),
    gettext_noop("Collection management permissions"),
    gettext_noop("Last published"),
    gettext_noop("Last published by"),
    gettext_noop("No pages found."),
    gettext_noop("No pages match this report's criteria."),
    gettext_noop("App"),
    gettext_noop("Last edited page"),
    gettext_noop("Last edit"),
    gettext_noop("Locking status"),
    gettext_noop("Locked by <b>you</b> at <b>%(locking_date)s</b>"),
    gettext_noop("Locked by <b>%(locked_by)s</b> at <b>%(locking_date)s</b>"),
    gettext_noop("Locked at <b>%(locking_date)s</b>"),
    gettext_noop("No page types found."),
    gettext_noop("Date / Time"),
    gettext_noop("No log entries found."),
    gettext_noop("Page/Snippet"),
    gettext_noop("Incomplete task"),
    gettext_noop("No pages/snippets have been submitted for moderation yet"),
    gettext_noop("%(field_label)s:"),
    gettext_noop("Saved"),
    gettext_noop("Autosave is paused"),
    gettext_noop("Edit account avatar"),
    gettext_noop("Toggle breadcrumbs"),
    ngettext_lazy(
        "This action will delete <b>%(total_pages_formatted)s</b> page in total.",
        "This action will delete <b>%(total_pages_formatted)s</b> pages in total.",
    ),
    gettext_noop("Please type <b>%(wagtail_site_name)s</b> to confirm."),
    gettext_noop("Close dialog"),
    gettext_noop("You saved a new version in another window"),
    gettext_noop("System"),
    gettext_noop("%(user_name)s saved a new version"),
    gettext_noop("View latest version"),
    gettext_noop("You have unsaved changes in another window"),
    gettext_noop("%(user_name)s has unsaved changes"),
    gettext_noop("Currently idle"),
    gettext_noop("Currently viewing"),
    ngettext_lazy(
        "One other user is currently viewing", "%(num_user)s other users are currently viewing"
    ),
    gettext_noop("Proceeding will overwrite the changes you made in that window."),
    gettext_noop("Proceeding will overwrite the changes made by %(user_name)s."),
    gettext_noop("Alternatively, you can view the latest version in a new tab."),
    gettext_noop("A network error occurred"),
    gettext_noop(
        "Troubleshoot your connection to the site before proceeding. Open the editor in a separate tab to view the last saved version."
    ),
    gettext_noop("Show filters"),
    gettext_noop("Filter by"),
    gettext_noop("Back"),
    gettext_noop("Keyboard shortcuts"),
    gettext_noop(
        "Keyboard shortcuts are currently disabled; manage your %(account_link)s to enable them."
    ),
    gettext_noop("All keyboard shortcuts"),
    gettext_noop("Section"),
    gettext_noop("Keyboard shortcut"),
    gettext_noop(
        "Keyboard shortcuts are currently enabled; manage your %(account_link)s to disable them."
    ),
    gettext_noop("Visible to all. Visit the live page"),
    gettext_noop("Visible to all"),
    gettext_noop("Private. Visit the live page"),
    gettext_noop("Toggle section"),
    gettext_noop("Minimap"),
    gettext_noop("Side panels"),
    gettext_noop("Toggle side panel"),
    gettext_noop("Side panel width"),
    gettext_noop("Show issue"),
    gettext_noop("Content metrics"),
    gettext_noop("Words"),
    gettext_noop("Reading time"),
    gettext_noop("Readability"),
    gettext_noop("This data explained"),
    gettext_noop("How we calculate our metrics"),
    gettext_noop(
        "We extract the main content from the page preview, remove all formatting, and calculate the number of words."
    ),
    gettext_noop(
        "We calculate reading time from word count, using different reading speeds for different languages."
    ),
    gettext_noop(
        "We use a readability formula based on length of words and sentences. Long sentences and words result in a worse readability score."
    ),
    gettext_noop(
        'See our <a href="%(guide_link)s" target="_blank">content checks guide</a> for more information on how content metrics are calculated.'
    ),
    gettext_noop("Issues found"),
    gettext_noop("Locale: "),
    gettext_noop("Available in %(translations_total)s locales"),
    gettext_noop("No other translations"),
    gettext_noop("Switch locales"),
    gettext_noop("Locking: "),
    gettext_noop("Anyone can edit this %(model_name)s – lock it to prevent others from editing"),
    gettext_noop("Anyone can edit this %(model_name)s"),
    gettext_noop("Page visibility: "),
    gettext_noop("Once live anyone can view"),
    gettext_noop("Not visible to the public"),
    gettext_noop("Choose who can view the live version of this page"),
    gettext_noop("Status: "),
    gettext_noop("Expiry:"),
    gettext_noop("Edit schedule"),
    gettext_noop("In Moderation"),
    gettext_noop("View details"),
    gettext_noop("To be created by %(user)s"),
    gettext_noop("View history"),
    gettext_noop("Invalid schedule"),
    gettext_noop("Go-live:"),
    gettext_noop("Once scheduled:"),
    gettext_noop("No publishing schedule set"),
    gettext_noop("Set schedule"),
    gettext_noop("Preview in new tab"),
    gettext_noop("Loading"),
    gettext_noop("Refreshing…"),
    gettext_noop("Refresh"),
    gettext_noop("Preview is out of date"),
    gettext_noop("Correct the validation errors to resume preview (saving will highlight errors)"),
    gettext_noop("Preview mode"),
    gettext_noop("First published"),
    gettext_noop("Autosave is <span>paused</span>"),
    gettext_noop("Save your changes before leaving"),
    gettext_noop("You have <span>unsaved edits</span>"),
    ngettext_lazy(
        "This %(model_name)s is referenced %(usage_count)s time.",
        "This %(model_name)s is referenced %(usage_count)s times.",
    ),
    gettext_noop("One or more references to this %(model_name)s prevent it from being deleted."),
    gettext_noop("Requested by <b>%(modified_by)s</b>"),
    gettext_noop("Started at <b>%(started_at)s</b>"),
    gettext_noop("Status %(status)s"),
    gettext_noop("Timeline"),
    gettext_noop("Initial Revision"),
    gettext_noop("%(action)s by <b>%(who)s</b> at <b>%(at)s</b>"),
    gettext_noop("%(action)s at <b>%(at)s</b>"),
    gettext_noop("with comment:"),
    gettext_noop("Workflow started"),
    gettext_noop("Workflow completed"),
    gettext_noop("%(action)s by <b>%(who)s</b>"),
    gettext_noop("Approved task"),
    gettext_noop("This page hasn't been submitted for moderation yet"),
    gettext_noop("This %(model_name)s hasn't been submitted for moderation yet"),
    gettext_noop(
        'JavaScript is required to use Wagtail, but it is currently disabled.<br /> Here are the <a href="https://www.enable-javascript.com/" target="_blank" rel="noreferrer">instructions how to enable JavaScript in your web browser</a>.'
    ),
    gettext_noop("Item %(index)s of %(total)s"),
    gettext_noop("Disable custom ordering"),
    gettext_noop("Enable custom ordering"),
    gettext_noop("View Wagtail quick actions"),
    gettext_noop("Checks"),
    gettext_noop("Warnings"),
    gettext_noop(
        "This workflow is currently in progress on %(workflow_states_in_progress)s pages. Deleting this workflow will cancel moderation on these page. Are you sure you want to delete this workflow?"
    ),
    gettext_noop("Are you sure you want to disable this workflow?"),
    gettext_noop("Yes, disable"),
    gettext_noop("Are you sure you want to disable this task?"),
    gettext_noop("Assign your workflow to pages"),
    gettext_noop("Assign your workflow to snippets"),
    gettext_noop(
        'Workflows apply to child pages too. If you select a parent page here, its child pages will also use this workflow. See <a href="%(workflow_pages_url)s">the list of the pages</a> your workflow applies to.'
    ),
    gettext_noop("This workflow is disabled so it cannot be assigned to any pages."),
    gettext_noop("This workflow is disabled so it cannot be assigned to any snippets."),
    gettext_noop("Used on the following active workflows"),
    gettext_noop("Disabled"),
    ngettext_lazy("+%(counter)s more", "+%(counter)s more"),
    gettext_noop("Assigned pages"),
    gettext_noop("Assign to another page"),
    gettext_noop("Step %(step_number)s"),
    ngettext_lazy("1 page", "%(counter)s pages"),
    ngettext_lazy("1 snippet type", "%(counter)s snippet types"),
    gettext_noop('No workflows have been created. Why not <a href="%(add_url)s">add one</a>?'),
    gettext_noop('There are no enabled workflows. Why not <a href="%(add_url)s">add one</a>?'),
    gettext_noop("Choose which type of task you'd like to create."),
    gettext_noop("Choose a task"),
    gettext_noop("Existing"),
    gettext_noop("Choose a different task type"),
    gettext_noop("Creating…"),
    gettext_noop("Task type"),
    gettext_noop("Used on"),
    gettext_noop('Sorry, no tasks match "<em>%(query_string)s</em>"'),
    gettext_noop("You haven't created any tasks."),
    gettext_noop(
        'Why not <a class="create-one-now" href="#tab-new" data-action="w-tabs#select:prevent" data-w-tabs-target="trigger" data-w-tabs-focus-param="true">create one now</a>?'
    ),
    gettext_noop('No tasks have been created. Why not <a href="%(add_url)s">add one</a>?'),
    gettext_noop('There are no enabled tasks. Why not <a href="%(add_url)s">add one</a>?'),
    gettext_noop("Not started"),
    gettext_noop("Changes requested by %(requested_by)s"),
    gettext_noop("Changes requested"),
    gettext_noop("Cancelled by %(cancelled_by)s"),
    gettext_noop("Approved by %(approved_by)s"),
    gettext_noop("Published"),
    gettext_noop("See full history"),
    gettext_noop("More bulk actions"),
    gettext_noop("0 minutes"),
    gettext_noop("just now"),
    gettext_noop("at %(time)s by %(user_display_name)s"),
    gettext_noop("at %(time)s"),
    gettext_noop("%(time)s by %(user_display_name)s"),
    gettext_noop("%(time_period)s ago by %(user_display_name)s"),
    gettext_noop("Changes requested %(finished_at)s"),
    gettext_noop("Sent to %(task_name)s %(started_at)s"),
    gettext_noop("%(status_display)s %(task_name)s %(started_at)s"),
    gettext_noop("Application"),
    gettext_noop("Show keyboard shortcuts"),
    gettext_noop("Toggle sidebar"),
    gettext_noop("Toggle minimap"),
    gettext_noop("Close modal dialogs (like this one)"),
    gettext_noop("Save changes"),
    gettext_noop("Add or show comments"),
    gettext_noop("Text editing"),
    gettext_noop("Cut"),
    gettext_noop("Paste"),
    gettext_noop("Paste and match style"),
    gettext_noop("Paste without formatting"),
    gettext_noop("Text formatting"),
    gettext_noop("Insert or edit a link"),
    gettext_noop("Monospace (code)"),
    gettext_noop("Strike-through"),
    gettext_noop("Toggle status"),
    ngettext_lazy("Referenced %(count)s time", "Referenced %(count)s times"),
    gettext_noop("Toggle comments"),
    gettext_noop("Toggle checks"),
    gettext_noop("Toggle preview"),
    gettext_noop("(blank)"),
    gettext_noop("Sort by '%(label)s' in ascending order."),
    gettext_noop("Sort by '%(label)s' in descending order."),
    gettext_noop("'%(page_title)s' has been moved successfully."),
    gettext_noop(
        "Focus on the drag button and press up or down arrows to move the item, then press enter to submit the change."
    ),
    gettext_noop("Button text is empty"),
    gettext_noop("Use meaningful text for screen reader users"),
    gettext_noop("Empty heading found"),
    gettext_noop("Table header text is empty"),
    gettext_noop("Empty frame title found"),
    gettext_noop("Use a meaningful title for screen reader users"),
    gettext_noop("Incorrect heading hierarchy"),
    gettext_noop("Avoid skipping levels"),
    gettext_noop("Input button text is empty"),
    gettext_noop("Link text is empty"),
    gettext_noop("Misusing paragraphs as headings"),
    gettext_noop("Use proper heading tags"),
    gettext_noop("Image alt text has inappropriate pattern"),
    gettext_noop("Use meaningful text"),
    gettext_noop("Meta description is empty"),
    gettext_noop("Add a concise description for search engines"),
    gettext_noop("%(classname)s object (%(id)s)"),
    gettext_noop("Notifications"),
    gettext_noop("Name and Email"),
    gettext_noop("Profile picture"),
    gettext_noop("Theme preferences"),
    gettext_noop("Your account settings have been changed successfully!"),
    gettext_noop("No %(model_name)s match your query."),
    gettext_noop("There are no %(model_name)s to display."),
    gettext_noop("Review this version"),
    gettext_noop("Compare with current version"),
    gettext_noop("Workflow progress"),
    gettext_noop("Edit / Review"),
    gettext_noop("%(model_name)s '%(title)s' is now unlocked."),
    gettext_noop("%(model_name)s '%(object)s' has been scheduled for publishing."),
    gettext_noop("%(model_name)s '%(object)s' created and scheduled for publishing."),
    gettext_noop(
        "%(model_name)s '%(object)s' is live and this version has been scheduled for publishing."
    ),
    gettext_noop("%(model_name)s '%(object)s' updated and published."),
    gettext_noop("%(model_name)s '%(object)s' created and published."),
    gettext_noop("%(model_name)s '%(object)s' has been submitted for moderation."),
    gettext_noop("%(model_name)s '%(object)s' created and submitted for moderation."),
    gettext_noop("Workflow on %(model_name)s '%(object)s' has been restarted."),
    gettext_noop("Workflow on %(model_name)s '%(object)s' has been cancelled."),
    gettext_noop("Saving will overwrite a newer version."),
    gettext_noop("The %(model_name)s could not be saved as it is locked"),
    gettext_noop(
        "You are viewing a previous version of this %(model_name)s from <b>%(created_at)s</b> by %(user)s"
    ),
    gettext_noop("%(model_name)s '%(object)s' has been replaced with version from %(timestamp)s."),
    gettext_noop("Version from %(timestamp)s of %(model_name)s '%(object)s' has been published."),
    gettext_noop(
        "Version from %(timestamp)s of %(model_name)s '%(object)s' has been scheduled for publishing."
    ),
    gettext_noop("%(related_model_name)s %(field_label)s"),
    gettext_noop("Sort item order"),
    gettext_noop("More options for '%(title)s'"),
    gettext_noop("New: %(model_name)s"),
    gettext_noop("There are validation errors, click save to highlight them."),
    gettext_noop("Compare"),
    gettext_noop("'%(object)s' unpublished."),
    gettext_noop('Version %(revision_id)s of "%(object)s" unscheduled.'),
    gettext_noop("Preview for %(block_label)s (%(block_type)s)"),
    gettext_noop("If you confirm deletion"),
    gettext_noop("Field"),
    gettext_noop("(Private %(object)s)"),
    gettext_noop("The %(model_name)s '%(title)s' is not currently awaiting moderation."),
    gettext_noop(
        "The %(model_name)s '%(title)s' is not currently awaiting moderation in task '%(task_name)s'."
    ),
    gettext_noop("Search all pages…"),
    gettext_noop("Privacy is inherited from the ancestor page - %(ancestor_page)s"),
    gettext_noop("%(parent_pages)s and %(child_pages)s have been deleted"),
    ngettext_lazy(
        "%(num_parent_objects)d page has been deleted",
        "%(num_parent_objects)d pages have been deleted",
    ),
    gettext_noop("Select a new parent page"),
    ngettext_lazy("%(num_pages)d page has been moved", "%(num_pages)d pages have been moved"),
    ngettext_lazy("%(num_parent_objects)d page", "%(num_parent_objects)d pages"),
    ngettext_lazy("%(num_child_objects)d child page", "%(num_child_objects)d child pages"),
    gettext_noop("%(parent_pages)s and %(child_pages)s have been published"),
    ngettext_lazy(
        "%(num_parent_objects)d page has been published",
        "%(num_parent_objects)d pages have been published",
    ),
    gettext_noop("Unpublish selected pages"),
    gettext_noop("%(parent_pages)s and %(child_pages)s have been unpublished"),
    ngettext_lazy(
        "%(num_parent_objects)d page has been unpublished",
        "%(num_parent_objects)d pages have been unpublished",
    ),
    gettext_noop("Choose parent"),
    gettext_noop("Create a new %(model_name)s"),
    gettext_noop("Page '%(page_title)s' has been converted into an ordinary page."),
    gettext_noop("Request to create %(model_name)s was blocked by hook."),
    gettext_noop("The page could not be created due to validation errors."),
    gettext_noop(
        "Page '%(page_title)s' has been replaced with version from %(previous_revision_datetime)s."
    ),
    gettext_noop("Request to edit %(model_name)s was blocked by hook."),
    gettext_noop("Workflow on page '%(page_title)s' has been cancelled."),
    gettext_noop(
        "Version from %(previous_revision_datetime)s of page '%(page_title)s' has been scheduled for publishing."
    ),
    gettext_noop(
        "Page '%(page_title)s' is live and this version has been scheduled for publishing."
    ),
    gettext_noop("Version from %(datetime)s of page '%(page_title)s' has been published."),
    gettext_noop("Workflow on page '%(page_title)s' has been restarted."),
    gettext_noop("The page could not be saved as it is locked."),
    gettext_noop("The page could not be saved due to validation errors."),
    gettext_noop("Is commenting action"),
    gettext_noop("Date updated"),
    gettext_noop("Edited by"),
    gettext_noop("Has child pages"),
    gettext_noop("Any"),
    gettext_noop("Page type"),
    gettext_noop("Exploring"),
    gettext_noop(
        "The slug '%(page_slug)s' is already in use at the selected parent page. Make sure the slug is unique and try again."
    ),
    gettext_noop("Placeholder title"),
    gettext_noop(
        "You are viewing a previous version of this page from <b>%(created_at)s</b> by %(user)s"
    ),
    gettext_noop("Page types usage"),
    gettext_noop(
        "The page '%(page_title)s' is not currently awaiting moderation in task '%(task_name)s'."
    ),
    gettext_noop("Last published before"),
    gettext_noop("Aging pages"),
    gettext_noop("Last published at"),
    gettext_noop("Action type"),
    gettext_noop("Date/Time"),
    gettext_noop("Locked by"),
    gettext_noop("Anyone"),
    gettext_noop("Page/Snippet ID"),
    gettext_noop("Page/Snippet Type"),
    gettext_noop("Page/Snippet Title"),
    gettext_noop("By task"),
    gettext_noop("By workflow"),
    gettext_noop("Show disabled"),
    gettext_noop("Used by"),
    gettext_noop("Workflow '%(object)s' created."),
    gettext_noop("Workflow '%(object)s' updated."),
    gettext_noop("Disable"),
    gettext_noop("Enable"),
    gettext_noop("Workflow '%(object)s' disabled."),
    ngettext_lazy(
        "This workflow is in progress on %(states_in_progress)d page/snippet. Disabling this workflow will cancel moderation on this page/snippet.",
        "This workflow is in progress on %(states_in_progress)d pages/snippets. Disabling this workflow will cancel moderation on these pages/snippets.",
    ),
    gettext_noop("Workflow '%(workflow_name)s' enabled."),
    gettext_noop("Task '%(object)s' created."),
    gettext_noop("Task '%(object)s' updated."),
    gettext_noop("Disable task"),
    gettext_noop("Task '%(object)s' disabled."),
    ngettext_lazy(
        "This task is in progress on %(states_in_progress)d page/snippet. Disabling this task will cause it to be skipped in the moderation workflow and not be listed for selection when editing a workflow.",
        "This task is in progress on %(states_in_progress)d pages/snippets. Disabling this task will cause it to be skipped in the moderation workflow and not be listed for selection when editing a workflow.",
    ),
    gettext_noop("Task '%(task_name)s' enabled."),
    gettext_noop("Choose another"),
    gettext_noop("Sort menu order"),
    gettext_noop("Heading 1"),
    gettext_noop("Heading 2"),
    gettext_noop("Heading 3"),
    gettext_noop("Heading 4"),
    gettext_noop("Heading 5"),
    gettext_noop("Heading 6"),
    gettext_noop("What's new in Wagtail %(version)s"),
    gettext_noop("Editor Guide"),
    gettext_noop("Shortcuts"),
    gettext_noop("Help"),
    gettext_noop(
        'Multi-word tags with spaces will automatically be enclosed in double quotes (").'
    ),
    gettext_noop("Tags can only consist of a single word, no spaces allowed."),
    gettext_noop("Choose another task"),
    gettext_noop("Edit this task"),
    gettext_noop(
        "The name '%(duplicate_clean_name)s' is already assigned to this field and cannot be changed. Please enter a different label for the conflicting field."
    ),
    gettext_noop(
        "Field name '%(duplicate_clean_name)s' conflicts with another field. Please change the label."
    ),
    gettext_noop("form submissions"),
    gettext_noop("Safe name of the form field, the label converted to ascii_snake_case"),
    gettext_noop(
        "Comma or new line separated list of choices. Only applicable in checkboxes, radio and dropdown."
    ),
    gettext_noop("Default value. Comma or new line separated values supported for checkboxes."),
    gettext_noop("Form"),
    gettext_noop("Landing page"),
    ngettext_lazy(
        "Are you sure you want to delete this form submission?",
        "Are you sure you want to delete these form submissions?",
    ),
    gettext_noop("Form data"),
    gettext_noop("Temporary"),
    gettext_noop("target page route"),
    gettext_noop(
        "Optionally specify a route on the target page to redirect to. Leave blank to redirect to the default page route."
    ),
    gettext_noop("automatically created"),
    gettext_noop("redirects"),
    gettext_noop(
        "<p>Select a file where redirects are separated into rows and contains the columns representing <code>from</code> and <code>to</code> (they can be named anything).</p> <p>After submitting you will be taken to a confirmation view where you can customize your redirects before import.</p>"
    ),
    gettext_noop('File format of type "%(extension)s" is not supported.'),
    gettext_noop("Imported file has a wrong encoding: %(error_message)s."),
    gettext_noop("%(error)s encountered while trying to read file: %(filename)s."),
    gettext_noop("%(model)s permissions"),
    gettext_noop("%(site_setting)s for %(site)s"),
    gettext_noop("Maximum filesize: %(max_upload_size)s."),
    gettext_noop("Select documents in choosers"),
    ngettext_lazy("Add tags to 1 document", "Add tags to %(counter)s documents"),
    gettext_noop("Add tags to documents"),
    ngettext_lazy(
        "Are you sure you want to tag the following document?",
        "Are you sure you want to tag the following documents?",
    ),
    ngettext_lazy(
        "You don't have permission to add tags to this document",
        "You don't have permission to add tags to these documents",
    ),
    gettext_noop("Yes, add"),
    gettext_noop("No, don't add"),
    ngettext_lazy(
        "Add 1 document to new collection", "Add %(counter)s documents to new collection"
    ),
    gettext_noop("Add documents to collection"),
    ngettext_lazy(
        "Are you sure you want to add the following document to the selected collection?",
        "Are you sure you want to add the following documents to the selected collection?",
    ),
    ngettext_lazy(
        "You don't have permission to add this document to a collection",
        "You don't have permission to add these documents to a collection",
    ),
    ngettext_lazy("Delete 1 document", "Delete %(counter)s documents"),
    gettext_noop("Delete documents"),
    ngettext_lazy(
        "Are you sure you want to delete this document?",
        "Are you sure you want to delete these documents?",
    ),
    ngettext_lazy(
        "You don't have permission to delete this document",
        "You don't have permission to delete these documents",
    ),
    gettext_noop(
        'Why not <a class="upload-one-now" href="#tab-upload" data-action="w-tabs#select:prevent" data-w-tabs-target="trigger" data-w-tabs-focus-param="true">upload one now</a>?'
    ),
    gettext_noop("Select all documents in listing"),
    ngettext_lazy(
        '%(total)s Document <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Documents <span class="w-sr-only">created in %(site_name)s</span>',
    ),
    gettext_noop("Document updated."),
    gettext_noop("Add tags to the selected documents"),
    ngettext_lazy(
        "New tags have been added to %(num_parent_objects)d document",
        "New tags have been added to %(num_parent_objects)d documents",
    ),
    gettext_noop("Add to collection"),
    gettext_noop("Add selected documents to collection"),
    ngettext_lazy(
        "%(num_parent_objects)d document has been added to %(collection)s",
        "%(num_parent_objects)d documents have been added to %(collection)s",
    ),
    gettext_noop("Delete selected documents"),
    ngettext_lazy(
        "%(num_parent_objects)d document has been deleted",
        "%(num_parent_objects)d documents have been deleted",
    ),
    gettext_noop("The document could not be created due to errors."),
    gettext_noop("The file could not be found. Please change the source or delete the document."),
    gettext_noop("Image is decorative"),
    gettext_noop("Please add some alt text for your image or mark it as decorative"),
    gettext_noop(
        "Not a valid .%(extension)s image. The extension does not match the file format (%(image_format)s)"
    ),
    gettext_noop("unknown number"),
    gettext_noop("Format"),
    gettext_noop("Select images in choosers"),
    ngettext_lazy("Add tags to 1 image", "Add tags to %(counter)s images"),
    gettext_noop("Add tags to images"),
    ngettext_lazy(
        "Are you sure you want to tag the following image?",
        "Are you sure you want to tag the following images?",
    ),
    ngettext_lazy(
        "You don't have permission to add tags to this image",
        "You don't have permission to add tags to these images",
    ),
    ngettext_lazy("Add 1 image to new collection", "Add %(counter)s images to new collection"),
    gettext_noop("Add images to collection"),
    ngettext_lazy(
        "Are you sure you want to add the following image to the selected collection?",
        "Are you sure you want to add the following images to the selected collection?",
    ),
    ngettext_lazy(
        "You don't have permission to add this image to a collection",
        "You don't have permission to add these images to a collection",
    ),
    ngettext_lazy("Delete 1 image", "Delete %(counter)s images"),
    gettext_noop("Delete images"),
    ngettext_lazy(
        "Are you sure you want to delete this image?",
        "Are you sure you want to delete these images?",
    ),
    ngettext_lazy(
        "You don't have permission to delete this image",
        "You don't have permission to delete these images",
    ),
    gettext_noop("Layout"),
    gettext_noop(
        "Upload successful. However, your new image seems to be a duplicate of an existing image. You may delete it if it wasn't required."
    ),
    gettext_noop("Use new image"),
    gettext_noop("Use existing and delete new"),
    gettext_noop("You haven't uploaded any images in this collection."),
    gettext_noop("You haven't uploaded any images."),
    ngettext_lazy(
        '%(total)s Image <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Images <span class="w-sr-only">created in %(site_name)s</span>',
    ),
    gettext_noop("Keep new image"),
    gettext_noop("Delete new image"),
    gettext_noop("Image focal point"),
    gettext_noop("Sort by"),
    gettext_noop("Select all images in listing"),
    gettext_noop("Grid layout"),
    gettext_noop("List layout"),
    gettext_noop("Image URL"),
    gettext_noop("Copy URL"),
    gettext_noop("Copied to clipboard"),
    gettext_noop("Copying to clipboard failed"),
    gettext_noop(
        "Please provide an image description to comply with best practices for accessibility."
    ),
    gettext_noop(
        "Upload successful. However, your new image seems to be a duplicate of this existing image. You may delete it if it wasn't required."
    ),
    gettext_noop("Add tags to the selected images"),
    ngettext_lazy(
        "New tags have been added to %(num_parent_objects)d image",
        "New tags have been added to %(num_parent_objects)d images",
    ),
    gettext_noop("Add selected images to collection"),
    ngettext_lazy(
        "%(num_parent_objects)d image has been added to %(collection)s",
        "%(num_parent_objects)d images have been added to %(collection)s",
    ),
    gettext_noop("Delete selected images"),
    ngettext_lazy(
        "%(num_parent_objects)d image has been deleted",
        "%(num_parent_objects)d images have been deleted",
    ),
    gettext_noop("Newest"),
    gettext_noop("Oldest"),
    gettext_noop("Title: (A -> Z)"),
    gettext_noop("Title: (Z -> A)"),
    gettext_noop("File size: (low to high)"),
    gettext_noop("File size: (high to low)"),
    gettext_noop("Usage count: (low to high)"),
    gettext_noop("Usage count: (high to low)"),
    gettext_noop("Generate URL"),
    gettext_noop("The filter options you have selected are not valid."),
    gettext_noop("Wagtail API v2"),
    gettext_noop("Wagtail API v3"),
    gettext_noop("- Select an option -"),
    gettext_noop("Wagtail frontend cache"),
    gettext_noop("Wagtail routablepage"),
    gettext_noop("Wagtail sitemaps"),
    gettext_noop("Unknown content type"),
    gettext_noop("Date cannot be in the future."),
    gettext_noop("No one can make changes while the %(model_name)s is locked"),
    gettext_noop("<b>'{title}' was locked</b> by <b>you</b> on <b>{datetime}</b>."),
    gettext_noop("<b>'{title}' is locked</b> by <b>you</b>."),
    gettext_noop("<b>'{title}' was locked</b> by <b>{user}</b> on <b>{datetime}</b>."),
    gettext_noop("<b>'{title}' is locked</b>."),
    gettext_noop("Locked by you"),
    gettext_noop("Locked by another user"),
    gettext_noop("Only you can make changes while the %(model_name)s is locked"),
    gettext_noop("Only %(user)s can make changes while the %(model_name)s is locked"),
    gettext_noop("This %(model_name)s is currently awaiting moderation."),
    gettext_noop(
        "This {model_name} is awaiting <b>'{task_name}'</b> in the <b>'{workflow_name}'</b> workflow."
    ),
    gettext_noop("Only reviewers for this task can edit the %(model_name)s."),
    gettext_noop("Locked by workflow"),
    gettext_noop(
        "Reviewers can edit this %(model_name)s – lock it to prevent other reviewers from editing"
    ),
    gettext_noop("Only reviewers can edit and approve the %(model_name)s"),
    gettext_noop(
        "{model_name} '{title}' is locked and has been scheduled to go live at {datetime}"
    ),
    gettext_noop("Locked by schedule"),
    gettext_noop("Currently locked and will go live on the scheduled date"),
    gettext_noop("A human-readable label to identify this token."),
    gettext_noop("created"),
    gettext_noop("revoked at"),
    gettext_noop("last used at"),
    gettext_noop("API token"),
    gettext_noop("API tokens"),
    gettext_noop("The log action '%(action_name)s' has not been registered."),
    gettext_noop("Unknown %(action)s"),
    gettext_noop("model log entry"),
    gettext_noop("model log entries"),
    gettext_noop("live revision"),
    gettext_noop("locale"),
    gettext_noop("locked by"),
    gettext_noop("for content type"),
    gettext_noop("Lock/unlock pages you've locked"),
    gettext_noop("Unlock any page"),
    gettext_noop(
        "The slug '%(page_slug)s' is already in use within the parent page at '%(parent_url_path)s'."
    ),
    gettext_noop("Cannot overwrite a revision that is not the latest for this %(model_name)s."),
    gettext_noop("Cannot overwrite a revision that was not created by the current user."),
    gettext_noop(
        "The name of the page displayed on search engine results as the clickable headline."
    ),
    gettext_noop("Draft saved"),
    gettext_noop("Preview in mobile size"),
    gettext_noop("Preview in tablet size"),
    gettext_noop("Preview in desktop size"),
    gettext_noop("object id"),
    gettext_noop("the %(model_name)s will also be deleted"),
    gettext_noop("prevents deletion"),
    gettext_noop("will be set to the default %(model_name)s"),
    gettext_noop("will do nothing"),
    gettext_noop("may prevent deletion"),
    gettext_noop("will be set to a %(model_name)s specified by the system"),
    gettext_noop("will unset the reference"),
    gettext_noop("revision"),
    gettext_noop("revisions"),
    gettext_noop("latest revision"),
    gettext_noop("group site permission"),
    gettext_noop("group site permissions"),
    gettext_noop("Private, accessible with a shared password"),
    gettext_noop("Private, accessible to any logged-in users"),
    gettext_noop("shared password"),
    gettext_noop(
        "Shared passwords should not be used to protect sensitive content. Anyone who has this password will be able to view the content."
    ),
    gettext_noop("requested by"),
    gettext_noop(
        "There may only be one in progress or needs changes workflow state per page/snippet."
    ),
    gettext_noop("Workflow '%(workflow_name)s' on %(model_name)s '%(title)s': %(status)s"),
    gettext_noop(
        "Active workflows can be added to pages/snippets. Deactivating a workflow does not remove it from existing pages/snippets."
    ),
    gettext_noop("workflow_tasks"),
    gettext_noop("workflow task order"),
    gettext_noop("workflow task orders"),
    gettext_noop(
        "Active tasks can be added to workflows. Deactivating a task does not remove it from existing workflows."
    ),
    gettext_noop(
        "Pages/snippets at this step in a workflow will be moderated or approved by these groups of users"
    ),
    gettext_noop("Group approval task"),
    gettext_noop("Group approval tasks"),
    gettext_noop("Skipped"),
    gettext_noop("workflow state"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("finished by"),
    gettext_noop("Task '%(task_name)s' on Revision '%(revision_info)s': %(status)s"),
    gettext_noop("in moderation"),
    gettext_noop("live + in moderation"),
    ngettext_lazy("%(count)s descendant collection", "%(count)s descendant collections"),
    gettext_noop("Deleted"),
    gettext_noop("Create API token"),
    gettext_noop("API token created"),
    gettext_noop("Revoke API token"),
    gettext_noop("API token revoked"),
    gettext_noop("Publish scheduled draft"),
    gettext_noop("Published scheduled draft"),
    gettext_noop("Unpublished"),
    gettext_noop("Unpublish scheduled draft"),
    gettext_noop("Unpublished scheduled draft"),
    gettext_noop("Renamed from '%(old)s' to '%(new)s'"),
    gettext_noop("Renamed"),
    gettext_noop("Reverted to previous revision with id %(revision_id)s from %(created_at)s"),
    gettext_noop("Reverted to previous revision"),
    gettext_noop("Copied from %(title)s"),
    gettext_noop("Copied"),
    gettext_noop("Copy for translation"),
    gettext_noop("Copied for translation from %(title)s (%(locale)s)"),
    gettext_noop("Copied for translation"),
    gettext_noop("Created an alias of %(title)s"),
    gettext_noop("Created an alias"),
    gettext_noop("Convert alias into ordinary page"),
    gettext_noop("Converted the alias '%(title)s' into an ordinary page"),
    gettext_noop("Converted an alias into an ordinary page"),
    gettext_noop("Moved from '%(old_parent)s' to '%(new_parent)s'"),
    gettext_noop("Moved"),
    gettext_noop("Reordered under '%(parent)s'"),
    gettext_noop("Reordered"),
    gettext_noop(
        "Revision %(revision_id)s from %(created_at)s scheduled for publishing at %(go_live_at)s."
    ),
    gettext_noop("%(model_name)s scheduled for publishing at %(go_live_at)s"),
    gettext_noop("%(model_name)s scheduled for publishing"),
    gettext_noop(
        "Revision %(revision_id)s from %(created_at)s unscheduled from publishing at %(go_live_at)s."
    ),
    gettext_noop("%(model_name)s unscheduled for publishing at %(go_live_at)s"),
    gettext_noop("%(model_name)s unscheduled from publishing"),
    gettext_noop("Add view restrictions"),
    gettext_noop("Added the '%(restriction)s' view restriction"),
    gettext_noop("Added view restriction"),
    gettext_noop("Update view restrictions"),
    gettext_noop("Updated the view restriction to '%(restriction)s'"),
    gettext_noop("Updated view restriction"),
    gettext_noop("Remove view restrictions"),
    gettext_noop("Removed the '%(restriction)s' view restriction. The page is public."),
    gettext_noop("Removed view restriction"),
    gettext_noop('Added a comment on field %(field)s: "%(text)s"'),
    gettext_noop("Added a comment"),
    gettext_noop("Edit comment"),
    gettext_noop('Edited a comment on field %(field)s: "%(text)s"'),
    gettext_noop("Edited a comment"),
    gettext_noop("Delete comment"),
    gettext_noop('Deleted a comment on field %(field)s: "%(text)s"'),
    gettext_noop("Deleted a comment"),
    gettext_noop("Resolve comment"),
    gettext_noop('Resolved a comment on field %(field)s: "%(text)s"'),
    gettext_noop("Resolved a comment"),
    gettext_noop("Reply to comment"),
    gettext_noop('Replied to comment on field %(field)s: "%(text)s"'),
    gettext_noop("Replied to a comment"),
    gettext_noop("Edit reply to comment"),
    gettext_noop('Edited a reply to a comment on field %(field)s: "%(text)s"'),
    gettext_noop("Edited a reply"),
    gettext_noop("Delete reply to comment"),
    gettext_noop('Deleted a reply to a comment on field %(field)s: "%(text)s"'),
    gettext_noop("Deleted a reply"),
    gettext_noop("Workflow: start"),
    gettext_noop("'%(workflow)s' started. Next step '%(task)s'"),
    gettext_noop("Workflow: approve task"),
    gettext_noop("Approved at '%(task)s'. Next step '%(next_task)s'"),
    gettext_noop("Approved at '%(task)s'. '%(workflow)s' complete"),
    gettext_noop("Workflow task approved"),
    gettext_noop("Workflow: reject task"),
    gettext_noop("Rejected at '%(task)s'. Changes requested"),
    gettext_noop("Workflow task rejected. Workflow complete"),
    gettext_noop("Workflow: resume task"),
    gettext_noop("Resubmitted '%(task)s'. Workflow resumed"),
    gettext_noop("Workflow task resubmitted. Workflow resumed"),
    gettext_noop("Workflow: cancel"),
    gettext_noop("Cancelled '%(workflow)s' at '%(task)s'"),
    gettext_noop("Workflow cancelled"),
    ngettext_lazy("%(count)d %(model_name)s deleted.", "%(count)d %(model_name)s deleted."),
    gettext_noop(
        'You haven\'t created any %(snippet_type_name)s snippets. Why not <a href="%(wagtailsnippets_create_snippet_url)s" target="_blank" rel="noreferrer">create one now</a>?'
    ),
    gettext_noop("Replace current revision"),
    gettext_noop("Select all snippets in listing"),
    gettext_noop("Instances"),
    gettext_noop("Required. Letters, digits and @/./+/-/_ only."),
    gettext_noop("updated comments notifications"),
    gettext_noop(
        "Receive notification when comments have been created, resolved, or deleted on a page that you have subscribed to receive comment notifications on"
    ),
    gettext_noop("System default"),
    gettext_noop("Light"),
    gettext_noop("Dark"),
    gettext_noop("admin theme"),
    gettext_noop("More contrast"),
    gettext_noop("contrast"),
    gettext_noop("Snug"),
    gettext_noop("density"),
    gettext_noop("Enable custom keyboard shortcuts specific to Wagtail."),
    gettext_noop("Yes, revoke"),
    gettext_noop("No, don't revoke"),
    gettext_noop(
        'The token "%(name)s" has been created, copy it now, it will never be shown again.'
    ),
    gettext_noop("Copy token"),
    gettext_noop("Back to API tokens"),
    gettext_noop("Copying failed — please select and copy the token manually."),
    gettext_noop("Revoked"),
    ngettext_lazy("Assign role to 1 user", "Assign role to %(counter)s users"),
    gettext_noop("Assign role"),
    gettext_noop("Are you sure you want to assign this role to these users?"),
    ngettext_lazy(
        "You don't have permission to edit this user",
        "You don't have permission to edit these users",
    ),
    gettext_noop("Yes, assign"),
    gettext_noop("No, don't assign"),
    ngettext_lazy("Delete 1 user", "Delete %(counter)s users"),
    gettext_noop("Are you sure you want to delete these users?"),
    ngettext_lazy(
        "You don't have permission to delete this user",
        "You don't have permission to delete these users",
    ),
    ngettext_lazy("Change active state for 1 user", "Change active state for %(counter)s users"),
    gettext_noop("Set active state"),
    gettext_noop("Are you sure you want to change the active state for these users?"),
    gettext_noop("You cannot change your own active status"),
    gettext_noop("Yes, change state"),
    gettext_noop("No, don't change state"),
    ngettext_lazy(
        "The group '%(group_name)s' has <strong>%(group_user_count)s</strong> member.",
        "The group '%(group_name)s' has <strong>%(group_user_count)s</strong> members.",
    ),
    gettext_noop("Custom permissions"),
    gettext_noop("Toggle all"),
    gettext_noop("Toggle all add permissions"),
    gettext_noop("Toggle all change permissions"),
    gettext_noop("Toggle all delete permissions"),
    gettext_noop("Toggle all custom permissions"),
    gettext_noop("Select all users in listing"),
    gettext_noop("Sorry, no users match your query"),
    gettext_noop("Can view"),
    gettext_noop("user %(id)s (deleted)"),
    gettext_noop("Last used"),
    gettext_noop("Token"),
    gettext_noop("Revoke"),
    gettext_noop("Are you sure you want to revoke this API token?"),
    gettext_noop("API token '%(name)s' revoked."),
    gettext_noop("Assign role to selected users"),
    ngettext_lazy(
        "%(num_parent_objects)d user has been assigned as %(role)s",
        "%(num_parent_objects)d users have been assigned as %(role)s",
    ),
    gettext_noop("Delete selected users"),
    ngettext_lazy(
        "%(num_parent_objects)d user has been deleted",
        "%(num_parent_objects)d users have been deleted",
    ),
    gettext_noop("Mark as active"),
    gettext_noop("Change the active state for selected users"),
    ngettext_lazy(
        "%(num_parent_objects)d user has been marked as active",
        "%(num_parent_objects)d users have been marked as active",
    ),
    ngettext_lazy(
        "%(num_parent_objects)d user has been marked as inactive",
        "%(num_parent_objects)d users have been marked as inactive",
    ),
    gettext_noop("View users in this group"),
    gettext_noop("Last login"),
    gettext_noop("Access level"),
)
