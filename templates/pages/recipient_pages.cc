#include "templates/pages/recipient_pages.h"

#include <cctype>

#include "templates/email_layout.h"
#include "templates/text_util.h"

namespace herald {
namespace {

// One language's words. "{agency}" is replaced by the agency's name (escaped for HTML
// on pages); "{url}" by the help URL.
struct PageWords {
  std::string_view language;
  std::string_view confirm_title, confirm_lead, button;
  std::string_view done_title, done_lead;
  std::string_view unknown_title, unknown_lead;
  std::string_view sms_stopped, sms_started, sms_help, sms_help_url;
  // NoticePage: a click link that does not work (the title is unknown_title), and a page
  // herald cannot serve right now.
  std::string_view link_lead, unavailable_title, unavailable_lead;
};

constexpr PageWords kWords[] = {
    {"en", "Stop emails from {agency}?",
     "You will stop getting email updates and reminders about your case from {agency}. You "
     "can still check your case with the agency.",
     "Unsubscribe", "You are unsubscribed",
     "You will not get more emails from {agency}. If this was a mistake, contact the agency to "
     "start them again.",
     "This link does not work",
     "Nothing was changed. The link may be incomplete. Use the unsubscribe link in the most "
     "recent email, or contact {agency}.",
     "{agency}: You will not get more texts. Reply START to get them again.",
     "{agency}: You will get texts about your case again. Reply STOP to stop.",
     "{agency}: updates about your case. Reply STOP to stop texts.",
     "{agency}: updates about your case. Reply STOP to stop texts. Help: {url}",
     "The link may be incomplete. Use the link in the most recent message, or contact {agency}.",
     "This page is not available right now",
     "Nothing was changed. Please try again in a few minutes, or contact {agency}."},
    {"es", "¿Dejar de recibir correos de {agency}?",
     "Ya no recibirá por correo electrónico novedades ni recordatorios de {agency} sobre su "
     "caso. Puede seguir consultando su caso con la agencia.",
     "Cancelar la suscripción", "Se canceló su suscripción",
     "No recibirá más correos de {agency}. Si fue un error, comuníquese con la agencia para "
     "volver a recibirlos.",
     "Este enlace no funciona",
     "No se cambió nada. Puede que el enlace esté incompleto. Use el enlace para cancelar la "
     "suscripción del correo más reciente o comuníquese con {agency}.",
     "{agency}: Ya no le enviaremos mensajes de texto. Responda START para volver a recibirlos.",
     "{agency}: Le enviaremos de nuevo mensajes sobre su caso. Responda STOP para dejar de "
     "recibirlos.",
     "{agency}: novedades sobre su caso. Responda STOP para dejar de recibir mensajes.",
     "{agency}: novedades sobre su caso. Responda STOP para dejar de recibir mensajes. Ayuda: "
     "{url}",
     "Puede que el enlace esté incompleto. Use el enlace del mensaje más reciente o "
     "comuníquese con {agency}.",
     "Esta página no está disponible en este momento",
     "No se cambió nada. Vuelva a intentarlo en unos minutos o comuníquese con {agency}."},
    {"zh", "不再接收{agency}的电子邮件？",
     "您将不再通过电子邮件收到{agency}关于您案件的最新消息和提醒。您仍可向该机构查询您的案件。",
     "退订", "您已退订", "您将不再收到{agency}的电子邮件。如有误，请联系该机构重新开通。",
     "此链接无效", "未作任何更改。链接可能不完整。请使用最近一封邮件中的退订链接，或联系{agency}。",
     "{agency}：您将不再收到短信。回复 START 可重新接收。",
     "{agency}：您将重新收到有关您案件的短信。回复 STOP 可停止。",
     "{agency}：有关您案件的最新消息。回复 STOP 停止接收短信。",
     "{agency}：有关您案件的最新消息。回复 STOP 停止接收短信。帮助：{url}",
     "链接可能不完整。请使用最近一条消息中的链接，或联系{agency}。", "此页面暂时无法使用",
     "未作任何更改。请几分钟后重试，或联系{agency}。"},
    {"zh-hant", "不再接收{agency}的電子郵件？",
     "您將不再透過電子郵件收到{agency}關於您案件的最新消息和提醒。您仍可向該機構查詢您的案件。",
     "取消訂閱", "您已取消訂閱", "您將不再收到{agency}的電子郵件。如有誤，請聯絡該機構重新開通。",
     "此連結無效",
     "未作任何變更。連結可能不完整。請使用最近一封郵件中的取消訂閱連結，或聯絡{agency}。",
     "{agency}：您將不再收到簡訊。回覆 START 可重新接收。",
     "{agency}：您將重新收到有關您案件的簡訊。回覆 STOP 可停止。",
     "{agency}：有關您案件的最新消息。回覆 STOP 停止接收簡訊。",
     "{agency}：有關您案件的最新消息。回覆 STOP 停止接收簡訊。說明：{url}",
     "連結可能不完整。請使用最近一則訊息中的連結，或聯絡{agency}。", "此頁面暫時無法使用",
     "未作任何變更。請幾分鐘後重試，或聯絡{agency}。"},
    {"vi", "Ngừng nhận email từ {agency}?",
     "Quý vị sẽ không còn nhận email cập nhật và nhắc nhở về hồ sơ của mình từ {agency}. Quý vị "
     "vẫn có thể hỏi cơ quan về hồ sơ của mình.",
     "Hủy đăng ký", "Quý vị đã hủy đăng ký",
     "Quý vị sẽ không nhận thêm email nào từ {agency}. Nếu đây là nhầm lẫn, hãy liên hệ cơ quan "
     "để nhận lại.",
     "Liên kết này không hoạt động",
     "Không có gì thay đổi. Liên kết có thể chưa đầy đủ. Hãy dùng liên kết hủy đăng ký trong "
     "email gần nhất, hoặc liên hệ {agency}.",
     "{agency}: Đã ngừng gửi tin nhắn. Trả lời START để nhận lại.",
     "{agency}: Sẽ gửi lại tin nhắn về hồ sơ. Trả lời STOP để ngừng.",
     "{agency}: Tin về hồ sơ của quý vị. Trả lời STOP để ngừng.",
     "{agency}: Tin về hồ sơ của quý vị. Trả lời STOP để ngừng. Trợ giúp: {url}",
     "Liên kết có thể chưa đầy đủ. Hãy dùng liên kết trong tin nhắn gần nhất, hoặc liên hệ "
     "{agency}.",
     "Trang này hiện không khả dụng",
     "Không có gì thay đổi. Vui lòng thử lại sau vài phút, hoặc liên hệ {agency}."},
    {"ar", "هل تريد إيقاف رسائل البريد الإلكتروني من {agency}؟",
     "لن تتلقى بعد الآن تحديثات وتذكيرات بالبريد الإلكتروني بشأن ملفك من {agency}. يمكنك دائمًا "
     "الاستفسار عن ملفك لدى الجهة.",
     "إلغاء الاشتراك", "تم إلغاء اشتراكك",
     "لن تتلقى المزيد من رسائل البريد الإلكتروني من {agency}. إذا حدث ذلك عن طريق الخطأ، فاتصل "
     "بالجهة لاستئنافها.",
     "هذا الرابط لا يعمل",
     "لم يتم تغيير أي شيء. ربما يكون الرابط غير مكتمل. استخدم رابط إلغاء الاشتراك في أحدث رسالة، "
     "أو اتصل بـ {agency}.",
     "{agency}: لن تصلك رسائل أخرى. أرسل START للعودة.",
     "{agency}: ستصلك رسائل ملفك مجددًا. أرسل STOP للإيقاف.",
     "{agency}: تحديثات بشأن ملفك. أرسل STOP لإيقاف الرسائل.",
     "{agency}: تحديثات بشأن ملفك. أرسل STOP لإيقاف الرسائل. مساعدة: {url}",
     "ربما يكون الرابط غير مكتمل. استخدم الرابط في أحدث رسالة، أو اتصل بـ {agency}.",
     "هذه الصفحة غير متاحة حاليًا",
     "لم يتم تغيير أي شيء. يرجى المحاولة مرة أخرى بعد بضع دقائق، أو الاتصال بـ {agency}."},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const PageWords& WordsFor(std::string_view locale) {
  const std::string_view language = PageLanguage(locale);
  for (const PageWords& w : kWords) {
    if (w.language == language) return w;
  }
  return kWords[0];
}

std::string Fill(std::string_view text, std::string_view agency, std::string_view url) {
  std::string out;
  out.reserve(text.size() + agency.size() + url.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 8, "{agency}") == 0) {
      out.append(agency);
      i += 8;
    } else if (text.compare(i, 5, "{url}") == 0) {
      out.append(url);
      i += 5;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace

std::string_view PageLanguage(std::string_view locale) {
  const std::string tag = Lower(locale);
  const std::string primary = tag.substr(0, tag.find_first_of("-_"));
  if (primary == "zh") {
    // Traditional script, or the regions that write it, unless Simplified is named.
    const bool hans = tag.find("hans") != std::string::npos;
    const bool hant = tag.find("hant") != std::string::npos ||
                      tag.find("-tw") != std::string::npos ||
                      tag.find("-hk") != std::string::npos || tag.find("-mo") != std::string::npos;
    return hant && !hans ? "zh-hant" : "zh";
  }
  for (const PageWords& w : kWords) {
    if (w.language == primary) return w.language;
  }
  return "en";
}

namespace {

// One page: a heading, a paragraph and, when `button` is given, the one-click form.
std::string RenderPage(const RecipientPageInput& in, const PageWords& w, std::string_view title,
                       std::string_view lead, std::string_view button) {
  static const Branding kNone;
  const Branding& b = in.branding != nullptr ? *in.branding : kNone;
  const std::string agency = templates_internal::HtmlEscape(b.name);
  const std::string heading = Fill(title, agency, "");
  const std::string link = templates_internal::LinkColor(b);
  // The header text as in the email layout: white or near-black, whichever contrasts more.
  const bool white_text = templates_internal::ContrastRatio(b.primary_color, "#ffffff") >=
                          templates_internal::ContrastRatio(b.primary_color, "#111827");
  const std::string header_text = white_text ? "#ffffff" : "#111827";

  std::string page;
  page.reserve(2048);
  page += "<!DOCTYPE html>\n<html lang=\"";
  page += templates_internal::HtmlEscape(in.locale.empty() ? "en" : in.locale);
  page += "\" dir=\"";
  page += w.language == "ar" ? "rtl" : "ltr";
  page +=
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"robots\" content=\"noindex\">\n<title>";
  page += heading;
  page +=
      "</title>\n<style>\n"
      "body{margin:0;font-family:Arial,Helvetica,sans-serif;background:#f3f4f6;"
      "color:#1f2937;line-height:1.5}\n"
      "header{padding:16px 24px;background:";
  page += b.primary_color;
  page += ";color:";
  page += header_text;
  page +=
      ";font-weight:bold;font-size:1.1rem}\n"
      "main{max-width:560px;margin:24px auto;padding:24px;background:#fff;"
      "border-radius:4px}\n"
      "h1{font-size:1.5rem;margin:0 0 12px}\n"
      "button{font-size:1rem;padding:12px 20px;border:0;border-radius:4px;background:";
  page += link;
  page +=
      ";color:#fff;cursor:pointer}\n"
      "button:focus{outline:3px solid #111827;outline-offset:2px}\n"
      "</style>\n</head>\n<body>\n<header>";
  page += agency;
  page += "</header>\n<main>\n<h1>";
  page += heading;
  page += "</h1>\n<p>";
  page += Fill(lead, agency, "");
  page += "</p>\n";
  if (!button.empty()) {
    page += "<form method=\"post\" action=\"";
    page += templates_internal::HtmlEscape(in.action_url);
    page +=
        "\">\n<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\n"
        "<button type=\"submit\">";
    page += button;
    page += "</button>\n</form>\n";
  }
  page += "</main>\n</body>\n</html>\n";
  return page;
}

}  // namespace

std::string RenderUnsubscribePage(UnsubscribePage which, const RecipientPageInput& in) {
  const PageWords& w = WordsFor(in.locale);
  switch (which) {
    case UnsubscribePage::kConfirm:
      return RenderPage(in, w, w.confirm_title, w.confirm_lead, w.button);
    case UnsubscribePage::kDone:
      return RenderPage(in, w, w.done_title, w.done_lead, "");
    case UnsubscribePage::kNotFound:
      break;
  }
  return RenderPage(in, w, w.unknown_title, w.unknown_lead, "");
}

std::string RenderNoticePage(NoticePage which, const RecipientPageInput& in) {
  const PageWords& w = WordsFor(in.locale);
  if (which == NoticePage::kLinkNotFound) {
    return RenderPage(in, w, w.unknown_title, w.link_lead, "");
  }
  return RenderPage(in, w, w.unavailable_title, w.unavailable_lead, "");
}

std::string DefaultSmsReply(SmsReply which, std::string_view locale, std::string_view agency,
                            std::string_view help_url) {
  const PageWords& w = WordsFor(locale);
  switch (which) {
    case SmsReply::kStopped:
      return Fill(w.sms_stopped, agency, "");
    case SmsReply::kStarted:
      return Fill(w.sms_started, agency, "");
    case SmsReply::kHelp:
      break;
  }
  return help_url.empty() ? Fill(w.sms_help, agency, "") : Fill(w.sms_help_url, agency, help_url);
}

}  // namespace herald
