"""What the bot does for each thing a user does, as one routing table read top to bottom.

The first matching route handles the event. Commands above the `in_flow` route interrupt a guided
conversation (they start another, or only show information); everything below it is an answer
to the open conversation's question when there is one. Buttons on cards (postbacks with an
action) are above it too: tapping one is a new command, not an answer.
"""
from chat import flow
from chat.dispatcher import Route, texts
from domain.menu_labels import (
    MENU_ABOUT,
    MENU_AREA_SUMMARY,
    MENU_CHILDREN_TO_FIND,
    MENU_DEACTIVATE,
    MENU_EXPORT_REPORT,
    MENU_HELP,
    MENU_INVITE,
    MENU_MY_REPORTS,
    MENU_REGISTER,
    MENU_REPORT_CHILD,
    MENU_SET_DEADLINE,
)
from handlers import act_on_case as cases
from handlers import area_summary as summary
from handlers import case_history as audit_trail
from handlers import check_in as checkin
from handlers import children_to_find as to_find
from handlers import export_report as export
from handlers import manage_people as users
from handlers import my_reports
from handlers import refer_child as referral
from handlers import register
from handlers import report_child as report
from handlers import set_deadline as deadlines
from handlers import welcome

ROUTES: list[Route] = [
    Route("follow", welcome.start_following),
    Route("unfollow", welcome.stop_following),
    Route("join", welcome.explain_private_chat_only),
    Route("text", register.start_registration, texts=texts(MENU_REGISTER)),
    Route("text", users.create_invite, texts=texts(MENU_INVITE)),
    Route("text", users.deactivate_user, texts=texts(MENU_DEACTIVATE)),
    Route("text", report.report_found_child, texts=texts(MENU_REPORT_CHILD)),
    Route("text", deadlines.start_setting_deadline, texts=texts(MENU_SET_DEADLINE, "ตั้งกำหนดส่งรายงาน")),
    # One tap on a reminder, answered even in the middle of a form (the form stays where it was).
    Route("postback", deadlines.confirm_reported, action=deadlines.REPORTED_ACTION),
    Route("text", summary.show_area_summary, texts=texts(MENU_AREA_SUMMARY)),
    Route("postback", summary.drill_into_area, action="summary"),
    Route("text", export.choose_export_format, texts=texts(MENU_EXPORT_REPORT)),
    Route("postback", export.request_export, action="export"),
    Route("text", audit_trail.show_case_history, when=audit_trail.asks_who_looked),
    Route("text", to_find.show_list, texts=texts(MENU_CHILDREN_TO_FIND)),
    Route("text", my_reports.show_my_reports, texts=texts(MENU_MY_REPORTS)),
    Route("text", welcome.read_about, texts=texts(MENU_ABOUT)),
    Route("text", welcome.ask_for_help, texts=texts(MENU_HELP, "help", "วิธีใช้")),
    # Buttons on lists and case cards.
    Route("postback", to_find.show_next_page, action="todo"),
    Route("postback", my_reports.show_my_reports, action="mine"),
    Route("postback", cases.show_case, action="case"),
    Route("postback", checkin.check_in, action="checkin"),
    Route("postback", referral.refer_child, action="refer"),
    Route("postback", referral.record_back_in_school, action="enrol"),
    Route("postback", referral.revoke_referral, action="revoke"),
    Route("postback", cases.confirm_still_in_school, action="staying"),
    Route("postback", cases.report_dropped_out, action="dropped"),
    Route("postback", cases.answer_follow_up, action="followup"),
    Route("postback", cases.close_case, action="close"),
    Route("postback", cases.reopen_case, action="reopen"),
    Route("postback", referral.accept_referral, action="referral_accept"),
    Route("postback", referral.decline_referral, action="referral_decline"),
    Route("*", flow.continue_flow, when=flow.in_flow),
    Route("text", welcome.say_hello, texts=texts("สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "สวัสดีค่า", "เริ่ม", "เมนู")),
    Route("text", to_find.search, when=to_find.is_search),
    Route("text", to_find.search, when=to_find.looks_like_id_or_number),
    Route("location", to_find.list_nearest, when=to_find.is_reporter),
    Route("*", welcome.say_not_understood),
]
