"""Every customer-facing text, keyed by id, in Spanish (default), English and Portuguese."""

from __future__ import annotations

import string
from collections.abc import Mapping

LANGS: tuple[str, ...] = ("es", "en", "pt")
DEFAULT_LANG = "es"

_DIALOG: dict[str, dict[str, str]] = {
    # --- greetings and identification -------------------------------------------------------
    "greeting_known": {
        "es": "¡Hola, {name}! Le saluda el asistente de soporte de {company}.",
        "en": "Hi {name}! This is the support assistant for {company}.",
        "pt": "Olá, {name}! Aqui é o assistente de suporte da {company}.",
    },
    "greeting_known_nocompany": {
        "es": "¡Hola, {name}! Le saluda el asistente de soporte.",
        "en": "Hi {name}! This is the support assistant.",
        "pt": "Olá, {name}! Aqui é o assistente de suporte.",
    },
    "greeting_unknown": {
        "es": "¡Hola! Soy el asistente de soporte. Para ayudarle necesito unos pocos datos.",
        "en": "Hi! I'm the support assistant. To help you I need a few details.",
        "pt": "Olá! Sou o assistente de suporte. Para ajudar, preciso de alguns dados.",
    },
    "step.ask_name": {
        "es": "¿Cuál es su nombre?",
        "en": "What is your name?",
        "pt": "Qual é o seu nome?",
    },
    "invalid_name": {
        "es": "Necesito su nombre para registrar la solicitud (por ejemplo: Ana Pérez).",
        "en": "I need your name to register the request (for example: Ana Perez).",
        "pt": "Preciso do seu nome para registrar a solicitação (por exemplo: Ana Souza).",
    },
    "thanks_name": {
        "es": "Gracias, {name}.",
        "en": "Thank you, {name}.",
        "pt": "Obrigado, {name}.",
    },
    "step.ask_company": {
        "es": "¿De qué empresa nos escribe?",
        "en": "Which company are you writing from?",
        "pt": "De qual empresa você está escrevendo?",
    },
    "invalid_company": {
        "es": "Escriba el nombre de su empresa, por favor (por ejemplo: Comercial Andes).",
        "en": "Please type your company's name (for example: Comercial Andes).",
        "pt": "Digite o nome da sua empresa, por favor (por exemplo: Comercial Andes).",
    },
    "step.confirm_company": {
        "es": "¿Se refiere a {company_candidate}?",
        "en": "Do you mean {company_candidate}?",
        "pt": "Você se refere à {company_candidate}?",
    },
    "company_unmatched": {
        "es": "No encontramos «{company}» entre nuestros clientes. Igual registraremos su "
        "solicitud y un agente verificará sus datos.",
        "en": "We could not find “{company}” among our customers. We will still register "
        "your request and an agent will verify your details.",
        "pt": "Não encontramos «{company}» entre nossos clientes. Mesmo assim vamos registrar "
        "sua solicitação e um agente verificará seus dados.",
    },
    "step.ask_email": {
        "es": "¿Cuál es su correo electrónico?",
        "en": "What is your e-mail address?",
        "pt": "Qual é o seu e-mail?",
    },
    "invalid_email": {
        "es": "Ese correo no parece válido. Escríbalo así: nombre@empresa.com",
        "en": "That e-mail does not look valid. Please type it like: name@company.com",
        "pt": "Esse e-mail não parece válido. Digite assim: nome@empresa.com",
    },
    # --- type ---------------------------------------------------------------------------------
    "step.ask_type": {
        "es": "¿Qué necesita?\n• Reportar una falla: algo dejó de funcionar o muestra un error.\n"
        "• Una consulta o requerimiento: configuración, dudas de uso, mejoras, capacitación.",
        "en": "What do you need?\n• Report a failure: something stopped working or shows an "
        "error.\n• A question or request: configuration, how-to, improvements, training.",
        "pt": "Do que você precisa?\n• Relatar uma falha: algo parou de funcionar ou mostra um "
        "erro.\n• Uma dúvida ou solicitação: configuração, uso, melhorias, treinamento.",
    },
    "step.confirm_billable": {
        "es": "Antes de seguir, las condiciones de su plan para requerimientos:\n{terms}\n¿Desea continuar?",
        "en": "Before going on, your plan's terms for requests:\n{terms}\nDo you want to continue?",
        "pt": "Antes de seguir, as condições do seu plano para solicitações:\n{terms}\nDeseja continuar?",
    },
    # --- description, duplicates, module ------------------------------------------------------
    "step.ask_description": {
        "es": "Cuéntenos qué ocurre: ¿qué estaba haciendo, qué esperaba y qué pasó? Si aparece "
        "un mensaje de error, cópielo aquí.",
        "en": "Tell us what happens: what were you doing, what did you expect and what "
        "happened? If there is an error message, paste it here.",
        "pt": "Conte o que acontece: o que você estava fazendo, o que esperava e o que "
        "aconteceu? Se aparecer uma mensagem de erro, cole aqui.",
    },
    "description_too_short": {
        "es": "Necesitamos un poco más de detalle para ayudarle (por ejemplo: en qué pantalla "
        "ocurre y qué mensaje aparece). ¿Puede contarnos más?",
        "en": "We need a bit more detail to help you (for example: on which screen it happens "
        "and what message appears). Can you tell us more?",
        "pt": "Precisamos de um pouco mais de detalhe para ajudar (por exemplo: em qual tela "
        "acontece e qual mensagem aparece). Pode contar mais?",
    },
    "description_from_message": {
        "es": "Tomé su mensaje como descripción del problema; podrá cambiarla antes de "
        "registrar.",
        "en": "I took your message as the problem's description; you can change it before "
        "registering.",
        "pt": "Usei sua mensagem como descrição do problema; você poderá alterá-la antes de "
        "registrar.",
    },
    "step.confirm_duplicate": {
        "es": "Su mensaje se parece al ticket {dup_number} «{dup_title}», que ya está abierto. "
        "¿Es el mismo problema que {dup_number}?",
        "en": "Your message looks like ticket {dup_number} “{dup_title}”, which is already "
        "open. Is it the same problem as {dup_number}?",
        "pt": "Sua mensagem parece com o chamado {dup_number} «{dup_title}», que já está "
        "aberto. É o mesmo problema do {dup_number}?",
    },
    "duplicate_added": {
        "es": "Perfecto, agregamos su mensaje al ticket {ticket}. Le mantendremos informado.",
        "en": "Great, we added your message to ticket {ticket}. We will keep you posted.",
        "pt": "Perfeito, adicionamos sua mensagem ao chamado {ticket}. Manteremos você "
        "informado.",
    },
    "step.ask_module": {
        "es": "¿En qué módulo o área de Odoo ocurre? Si no sabe, elija «No sé».",
        "en": "Which Odoo module or area is it about? If you are not sure, choose “Not sure”.",
        "pt": "Em qual módulo ou área do Odoo acontece? Se não souber, escolha «Não sei».",
    },
    # --- evidence -------------------------------------------------------------------------------
    "step.ask_evidence": {
        "es": "Si tiene capturas de pantalla, documentos o notas de voz, envíelos ahora (puede "
        "enviar varios). Cuando termine, escriba «listo». Si no tiene, elija «Omitir».",
        "en": "If you have screenshots, documents or voice notes, send them now (you can send "
        "several). When you are done, type “done”. If you have none, choose “Skip”.",
        "pt": "Se tiver capturas de tela, documentos ou áudios, envie agora (pode enviar "
        "vários). Quando terminar, digite «pronto». Se não tiver, escolha «Pular».",
    },
    "evidence_received": {
        "es": "Recibido: {files}. Lleva {count} archivo(s). Envíe más o escriba «listo».",
        "en": "Received: {files}. {count} file(s) so far. Send more or type “done”.",
        "pt": "Recebido: {files}. Até agora {count} arquivo(s). Envie mais ou digite «pronto».",
    },
    "evidence_note": {
        "es": "Anotado, lo agregué a la descripción. Envíe archivos o escriba «listo».",
        "en": "Noted, I added it to the description. Send files or type “done”.",
        "pt": "Anotado, acrescentei à descrição. Envie arquivos ou digite «pronto».",
    },
    "file_kind.image": {"es": "imagen", "en": "image", "pt": "imagem"},
    "file_kind.document": {"es": "documento", "en": "document", "pt": "documento"},
    "file_kind.audio": {"es": "nota de voz", "en": "voice note", "pt": "áudio"},
    "file_kind.video": {"es": "video", "en": "video", "pt": "vídeo"},
    "file_kind.other": {"es": "archivo", "en": "file", "pt": "arquivo"},
    # --- impact, urgency ------------------------------------------------------------------------
    "step.ask_impact": {
        "es": "¿Está detenida la operación de su empresa? ¿A quién afecta el problema?\n"
        "• Toda la operación está detenida.\n• Varias áreas o un proceso clave.\n"
        "• Un usuario, o algo menor.",
        "en": "Is your company's operation stopped? Who is affected?\n"
        "• The whole operation is stopped.\n• Several areas or a key process.\n"
        "• One user, or something minor.",
        "pt": "A operação da sua empresa está parada? Quem é afetado?\n"
        "• Toda a operação está parada.\n• Várias áreas ou um processo chave.\n"
        "• Um usuário, ou algo menor.",
    },
    "step.ask_urgency": {
        "es": "¿Necesita la solución hoy mismo?\n• Sí, hoy mismo.\n• En los próximos días.\n"
        "• Puede esperar.",
        "en": "Do you need the solution today?\n• Yes, today.\n• In the next few days.\n"
        "• It can wait.",
        "pt": "Você precisa da solução hoje mesmo?\n• Sim, hoje.\n• Nos próximos dias.\n"
        "• Pode esperar.",
    },
    # --- summary ------------------------------------------------------------------------------
    "step.confirm_summary": {
        "es": "Revisemos su solicitud:\n\n{summary}\n\n¿La registramos?",
        "en": "Let's review your request:\n\n{summary}\n\nShall we register it?",
        "pt": "Vamos revisar sua solicitação:\n\n{summary}\n\nPodemos registrar?",
    },
    "summary.type": {"es": "Tipo: {value}", "en": "Type: {value}", "pt": "Tipo: {value}"},
    "summary.description": {
        "es": "Descripción: {value}",
        "en": "Description: {value}",
        "pt": "Descrição: {value}",
    },
    "summary.module": {"es": "Módulo: {value}", "en": "Module: {value}", "pt": "Módulo: {value}"},
    "summary.files": {
        "es": "Archivos: {value}",
        "en": "Files: {value}",
        "pt": "Arquivos: {value}",
    },
    "summary.impact": {"es": "Impacto: {value}", "en": "Impact: {value}", "pt": "Impacto: {value}"},
    "summary.urgency": {
        "es": "Urgencia: {value}",
        "en": "Urgency: {value}",
        "pt": "Urgência: {value}",
    },
    "summary.priority": {
        "es": "Prioridad: {value}",
        "en": "Priority: {value}",
        "pt": "Prioridade: {value}",
    },
    "summary.none": {"es": "(no indicado)", "en": "(not given)", "pt": "(não informado)"},
    "step.choose_edit": {
        "es": "¿Qué desea cambiar?",
        "en": "What would you like to change?",
        "pt": "O que deseja alterar?",
    },
    "label.incident": {"es": "Falla", "en": "Failure", "pt": "Falha"},
    "label.request": {
        "es": "Consulta o requerimiento",
        "en": "Question or request",
        "pt": "Dúvida ou solicitação",
    },
    "label.impact.high": {
        "es": "Alto (operación detenida)",
        "en": "High (operation stopped)",
        "pt": "Alto (operação parada)",
    },
    "label.impact.medium": {
        "es": "Medio (varias áreas o un proceso clave)",
        "en": "Medium (several areas or a key process)",
        "pt": "Médio (várias áreas ou um processo chave)",
    },
    "label.impact.low": {
        "es": "Bajo (un usuario o algo menor)",
        "en": "Low (one user or something minor)",
        "pt": "Baixo (um usuário ou algo menor)",
    },
    "label.urgency.high": {
        "es": "Alta (hoy mismo)",
        "en": "High (today)",
        "pt": "Alta (hoje mesmo)",
    },
    "label.urgency.medium": {
        "es": "Media (próximos días)",
        "en": "Medium (next few days)",
        "pt": "Média (próximos dias)",
    },
    "label.urgency.low": {
        "es": "Baja (puede esperar)",
        "en": "Low (it can wait)",
        "pt": "Baixa (pode esperar)",
    },
    "priority.P1": {
        "es": "P1 — servicio detenido o funciones esenciales afectadas",
        "en": "P1 — service stopped or essential functions affected",
        "pt": "P1 — serviço parado ou funções essenciais afetadas",
    },
    "priority.P2": {
        "es": "P2 — afecta varias áreas relevantes",
        "en": "P2 — affects several relevant areas",
        "pt": "P2 — afeta várias áreas relevantes",
    },
    "priority.P3": {
        "es": "P3 — impacto moderado, no crítico",
        "en": "P3 — moderate, non-critical impact",
        "pt": "P3 — impacto moderado, não crítico",
    },
    "priority.P4": {
        "es": "P4 — no afecta la operación diaria",
        "en": "P4 — does not affect daily operation",
        "pt": "P4 — não afeta a operação diária",
    },
    "priority.P5": {
        "es": "P5 — consulta o tarea planificada",
        "en": "P5 — question or planned task",
        "pt": "P5 — dúvida ou tarefa planejada",
    },
    # --- open tickets, waiting on customer ----------------------------------------------------
    "step.choose_ticket": {
        "es": "Tiene tickets abiertos:\n{tickets}\n\n¿Su mensaje es sobre uno de ellos o es un "
        "problema nuevo?",
        "en": "You have open tickets:\n{tickets}\n\nIs your message about one of them or is "
        "it a new problem?",
        "pt": "Você tem chamados abertos:\n{tickets}\n\nSua mensagem é sobre um deles ou é um "
        "problema novo?",
    },
    "ticket_line": {"es": "• {number}: {title}", "en": "• {number}: {title}", "pt": "• {number}: {title}"},
    "step.ticket_message": {
        "es": "¿Qué desea agregar al ticket {ticket}? Escriba su mensaje o envíe archivos.",
        "en": "What would you like to add to ticket {ticket}? Type your message or send files.",
        "pt": "O que deseja acrescentar ao chamado {ticket}? Escreva sua mensagem ou envie "
        "arquivos.",
    },
    "waiting_on_you": {
        "es": "Su ticket {ticket} espera información de su parte.",
        "en": "Your ticket {ticket} is waiting for information from you.",
        "pt": "Seu chamado {ticket} aguarda informações suas.",
    },
    "added_to_ticket": {
        "es": "Gracias, agregamos su mensaje al ticket {ticket}. El especialista a cargo lo "
        "verá enseguida.",
        "en": "Thank you, we added your message to ticket {ticket}. The specialist in charge "
        "will see it right away.",
        "pt": "Obrigado, adicionamos sua mensagem ao chamado {ticket}. O especialista "
        "responsável verá em seguida.",
    },
    "added_to_waiting": {
        "es": "Gracias, agregamos su respuesta al ticket {ticket} y el especialista continuará "
        "con su caso. Si se trata de otro problema, escriba «nuevo».",
        "en": "Thank you, we added your reply to ticket {ticket} and the specialist will carry "
        "on with your case. If this is a different problem, type “new”.",
        "pt": "Obrigado, adicionamos sua resposta ao chamado {ticket} e o especialista "
        "continuará com seu caso. Se for outro problema, digite «novo».",
    },
    "new_problem": {
        "es": "Perfecto, registremos un problema nuevo.",
        "en": "Great, let's register a new problem.",
        "pt": "Perfeito, vamos registrar um problema novo.",
    },
    # --- status ---------------------------------------------------------------------------------
    "status_header": {
        "es": "Tickets de {company}:",
        "en": "Tickets of {company}:",
        "pt": "Chamados da {company}:",
    },
    "status_header_generic": {
        "es": "Tickets de su empresa:",
        "en": "Your company's tickets:",
        "pt": "Chamados da sua empresa:",
    },
    "status_item": {
        "es": "{number} · {title}\nEstado: {status} · Prioridad: {priority}\n"
        "Respuesta: {response_due} · Solución: {resolution_due}\nÚltima actualización: "
        "{last_update}",
        "en": "{number} · {title}\nStatus: {status} · Priority: {priority}\n"
        "Response: {response_due} · Resolution: {resolution_due}\nLast update: {last_update}",
        "pt": "{number} · {title}\nSituação: {status} · Prioridade: {priority}\n"
        "Resposta: {response_due} · Solução: {resolution_due}\nÚltima atualização: "
        "{last_update}",
    },
    "status_more": {
        "es": "…y {count} más. Escriba «estado» y el número para ver uno.",
        "en": "…and {count} more. Type “status” and the number to see one.",
        "pt": "…e mais {count}. Digite «status» e o número para ver um.",
    },
    "status_none": {
        "es": "No hay tickets registrados para su empresa.",
        "en": "There are no tickets registered for your company.",
        "pt": "Não há chamados registrados para sua empresa.",
    },
    "status_not_found": {
        "es": "No encontramos el ticket {ref} entre los tickets de su empresa. Escriba «estado» "
        "para ver la lista.",
        "en": "We could not find ticket {ref} among your company's tickets. Type “status” to "
        "see the list.",
        "pt": "Não encontramos o chamado {ref} entre os chamados da sua empresa. Digite "
        "«status» para ver a lista.",
    },
    "status.new": {"es": "Nuevo", "en": "New", "pt": "Novo"},
    "status.in_analysis": {"es": "En análisis", "en": "In analysis", "pt": "Em análise"},
    "status.waiting_customer": {
        "es": "Esperando su respuesta",
        "en": "Waiting for you",
        "pt": "Aguardando você",
    },
    "status.in_progress": {"es": "En curso", "en": "In progress", "pt": "Em andamento"},
    "status.solution_proposed": {
        "es": "Solución propuesta",
        "en": "Solution proposed",
        "pt": "Solução proposta",
    },
    "status.reopened": {"es": "Reabierto", "en": "Reopened", "pt": "Reaberto"},
    "status.closed": {"es": "Cerrado", "en": "Closed", "pt": "Fechado"},
    "status.cancelled": {"es": "Cancelado", "en": "Cancelled", "pt": "Cancelado"},
    # --- global commands ------------------------------------------------------------------------
    "help": {
        "es": "Puedo registrar una falla o consulta, mostrarle sus tickets y recibir sus "
        "respuestas. Responda con un botón, el número de la opción o la palabra. Comandos: "
        "«volver», «cancelar», «reiniciar», «estado», «agente» (hablar con una persona), "
        "«idioma».",
        "en": "I can register a failure or question, show your tickets and take your replies. "
        "Answer with a button, the option number or the word. Commands: “back”, “cancel”, "
        "“restart”, “status”, “agent” (talk to a person), “language”.",
        "pt": "Posso registrar uma falha ou dúvida, mostrar seus chamados e receber suas "
        "respostas. Responda com um botão, o número da opção ou a palavra. Comandos: "
        "«voltar», «cancelar», «reiniciar», «status», «atendente» (falar com uma pessoa), "
        "«idioma».",
    },
    "help_idle": {
        "es": "Para reportar un problema, simplemente cuéntenos qué pasa.",
        "en": "To report a problem, just tell us what is going on.",
        "pt": "Para relatar um problema, é só contar o que está acontecendo.",
    },
    "reask": {
        "es": "Disculpe, no entendí. Responda con una de estas opciones (o su número): {options}.",
        "en": "Sorry, I did not understand. Answer with one of these options (or its number): "
        "{options}.",
        "pt": "Desculpe, não entendi. Responda com uma destas opções (ou o número): {options}.",
    },
    "reask_agent": {
        "es": "Si prefiere hablar con una persona, escriba «agente».",
        "en": "If you prefer to talk to a person, type “agent”.",
        "pt": "Se preferir falar com uma pessoa, digite «atendente».",
    },
    "or": {"es": "o", "en": "or", "pt": "ou"},
    "prompt_dismissed": {
        "es": "Entendido. Si necesita algo más, escríbanos.",
        "en": "Understood. If you need anything else, write to us.",
        "pt": "Entendido. Se precisar de algo mais, escreva para nós.",
    },
    "cancelled": {
        "es": "Listo, cancelé la solicitud. Cuando quiera, escríbanos de nuevo.",
        "en": "Done, I cancelled the request. Write to us again whenever you like.",
        "pt": "Pronto, cancelei a solicitação. Quando quiser, escreva novamente.",
    },
    "nothing_to_cancel": {
        "es": "No hay nada en curso para cancelar.",
        "en": "There is nothing in progress to cancel.",
        "pt": "Não há nada em andamento para cancelar.",
    },
    "cannot_go_back": {
        "es": "Estamos en el primer paso, no hay nada antes.",
        "en": "This is the first step, there is nothing before it.",
        "pt": "Estamos no primeiro passo, não há nada antes.",
    },
    "restarted": {
        "es": "Empecemos de nuevo.",
        "en": "Let's start over.",
        "pt": "Vamos recomeçar.",
    },
    "handoff": {
        "es": "Listo, le comunicaré con una persona del equipo de soporte. Le responderá por "
        "este mismo chat lo antes posible. Para volver al asistente escriba «cancelar».",
        "en": "Done, I will put you in touch with a person from the support team. They will "
        "answer in this same chat as soon as possible. To return to the assistant type "
        "“cancel”.",
        "pt": "Pronto, vou colocar você em contato com uma pessoa da equipe de suporte. Ela "
        "responderá neste mesmo chat o quanto antes. Para voltar ao assistente digite "
        "«cancelar».",
    },
    "handoff_already": {
        "es": "Ya avisamos al equipo de soporte; una persona le responderá por este chat. Para "
        "volver al asistente escriba «cancelar».",
        "en": "The support team has already been told; a person will answer in this chat. To "
        "return to the assistant type “cancel”.",
        "pt": "A equipe de suporte já foi avisada; uma pessoa responderá neste chat. Para "
        "voltar ao assistente digite «cancelar».",
    },
    "handoff_left": {
        "es": "Volvemos al asistente automático. ¿En qué le puedo ayudar?",
        "en": "Back to the automatic assistant. How can I help you?",
        "pt": "Voltamos ao assistente automático. Como posso ajudar?",
    },
    "handoff_ended": {
        "es": "La conversación con el especialista terminó. Si necesita algo más, escríbanos.",
        "en": "The conversation with the specialist has ended. If you need anything else, "
        "write to us.",
        "pt": "A conversa com o especialista terminou. Se precisar de algo mais, escreva.",
    },
    "step.choose_language": {
        "es": "¿En qué idioma prefiere que le atendamos?",
        "en": "Which language do you prefer?",
        "pt": "Em qual idioma prefere ser atendido?",
    },
    "language_set": {
        "es": "Listo, le atenderé en español.",
        "en": "Done, I will assist you in English.",
        "pt": "Pronto, vou atender você em português.",
    },
    "idle_expired": {
        "es": "Su solicitud quedó sin terminar por un buen rato, así que la cerramos. Cuando "
        "quiera, escríbanos y empezamos de nuevo.",
        "en": "Your request was left unfinished for a while, so we closed it. Write to us "
        "whenever you like and we will start again.",
        "pt": "Sua solicitação ficou sem terminar por um bom tempo, então a encerramos. Quando "
        "quiser, escreva e começamos de novo.",
    },
    "resume_intake": {
        "es": "Continuemos con su solicitud anterior.",
        "en": "Let's continue with your earlier request.",
        "pt": "Vamos continuar com sua solicitação anterior.",
    },
    # --- validation and survey ------------------------------------------------------------------
    "validation_thanks": {
        "es": "¡Excelente! Cerramos el ticket {ticket}. Gracias por confirmar.",
        "en": "Excellent! We are closing ticket {ticket}. Thank you for confirming.",
        "pt": "Excelente! Vamos fechar o chamado {ticket}. Obrigado por confirmar.",
    },
    "step.validation_comment": {
        "es": "Lamentamos que no se haya resuelto; reabrimos el ticket {ticket}. ¿Qué sigue "
        "fallando? Cuéntenos o envíe una captura.",
        "en": "We are sorry it is not solved; we reopened ticket {ticket}. What is still "
        "wrong? Tell us or send a screenshot.",
        "pt": "Lamentamos que não tenha sido resolvido; reabrimos o chamado {ticket}. O que "
        "ainda está falhando? Conte ou envie uma captura.",
    },
    "validation_comment_thanks": {
        "es": "Gracias, lo agregamos al ticket {ticket}; el especialista seguirá trabajando en él.",
        "en": "Thank you, we added it to ticket {ticket}; the specialist will keep working on it.",
        "pt": "Obrigado, adicionamos ao chamado {ticket}; o especialista continuará trabalhando "
        "nele.",
    },
    "validation_reopened": {
        "es": "Lamentamos que no se haya resuelto; reabrimos el ticket {ticket} con su "
        "comentario y el especialista seguirá trabajando en él.",
        "en": "We are sorry it is not solved; we reopened ticket {ticket} with your comment "
        "and the specialist will keep working on it.",
        "pt": "Lamentamos que não tenha sido resolvido; reabrimos o chamado {ticket} com seu "
        "comentário e o especialista continuará trabalhando nele.",
    },
    "step.survey_comment": {
        "es": "¡Gracias! ¿Quiere dejarnos un comentario? Es opcional.",
        "en": "Thank you! Would you like to leave a comment? It is optional.",
        "pt": "Obrigado! Quer deixar um comentário? É opcional.",
    },
    # --- issue 10: dialog ---
    "burst_kept": {
        "es": "Anotado, lo tendremos en cuenta.",
        "en": "Noted, we will keep it in mind.",
        "pt": "Anotado, vamos levar em conta.",
    },
    "burst_joined": {
        "es": "Lo agregué a la descripción.",
        "en": "I added it to the description.",
        "pt": "Acrescentei à descrição.",
    },
    "you_are_welcome": {
        "es": "¡A usted! Si necesita algo más, cuéntenos qué pasa.",
        "en": "You're welcome! If you need anything else, just tell us what is going on.",
        "pt": "Por nada! Se precisar de algo mais, é só contar o que está acontecendo.",
    },
    "kept_for_description": {
        "es": "Guardé su mensaje como descripción del problema.",
        "en": "I kept your message as the problem's description.",
        "pt": "Guardei sua mensagem como descrição do problema.",
    },
    "voice_description": {
        "es": "Recibimos su nota de voz: la tomamos como descripción del problema y quedará "
        "adjunta al ticket.",
        "en": "We received your voice note: we took it as the problem's description and it "
        "will be attached to the ticket.",
        "pt": "Recebemos seu áudio: usamos como descrição do problema e ele ficará anexado ao "
        "chamado.",
    },
    "voice_description_text": {
        "es": "(descripción enviada como nota de voz, adjunta)",
        "en": "(description sent as a voice note, attached)",
        "pt": "(descrição enviada como áudio, anexado)",
    },
    "survey_out_of_range": {
        "es": "Para calificar, responda con un número del 1 al 5 (1 = muy mala, 5 = excelente).",
        "en": "To rate, answer with a number from 1 to 5 (1 = very poor, 5 = excellent).",
        "pt": "Para avaliar, responda com um número de 1 a 5 (1 = muito ruim, 5 = excelente).",
    },
    "survey_left": {
        "es": "Dejamos pendiente la encuesta del ticket {ticket}; puede calificarlo más tarde "
        "del 1 al 5.",
        "en": "We left the survey of ticket {ticket} pending; you can rate it later from 1 to 5.",
        "pt": "Deixamos pendente a pesquisa do chamado {ticket}; você pode avaliar depois, de 1 "
        "a 5.",
    },
    "step.ask_description.request": {
        "es": "Cuéntenos qué necesita: ¿qué desea configurar, aprender o mejorar, en qué parte "
        "de Odoo y para quiénes? Si tiene un ejemplo, inclúyalo.",
        "en": "Tell us what you need: what would you like to set up, learn or improve, in which "
        "part of Odoo and for whom? Include an example if you have one.",
        "pt": "Conte do que você precisa: o que deseja configurar, aprender ou melhorar, em qual "
        "parte do Odoo e para quem? Se tiver um exemplo, inclua.",
    },
    "description_too_short.request": {
        "es": "Necesitamos un poco más de detalle (por ejemplo: qué proceso, para qué usuarios y "
        "qué resultado espera). ¿Puede contarnos más?",
        "en": "We need a bit more detail (for example: which process, for which users and what "
        "result you expect). Can you tell us more?",
        "pt": "Precisamos de um pouco mais de detalhe (por exemplo: qual processo, para quais "
        "usuários e que resultado espera). Pode contar mais?",
    },
    "step.ask_impact.request": {
        "es": "¿A quién afecta no tener esto resuelto?\n• A toda la operación de la empresa.\n"
        "• A varias áreas o a un proceso clave.\n• A un usuario, o es algo menor.",
        "en": "Who is affected while this is not done?\n• The whole company's operation.\n"
        "• Several areas or a key process.\n• One user, or it is something minor.",
        "pt": "Quem é afetado enquanto isso não for resolvido?\n• Toda a operação da empresa.\n"
        "• Várias áreas ou um processo chave.\n• Um usuário, ou é algo menor.",
    },
    "handoff_started_open": {
        "es": "Listo, le comunicaré con una persona del equipo de soporte: un agente le escribirá "
        "por este mismo chat, normalmente en menos de {minutes} minutos. Todo lo que escriba "
        "aquí le llegará. Para volver al asistente escriba «cancelar».",
        "en": "Done, I will put you in touch with a person from the support team: an agent will "
        "write to you in this same chat, usually within {minutes} minutes. Everything you "
        "write here reaches them. To return to the assistant type “cancel”.",
        "pt": "Pronto, vou colocar você em contato com uma pessoa da equipe de suporte: um "
        "atendente vai escrever neste mesmo chat, normalmente em menos de {minutes} minutos. "
        "Tudo o que você escrever aqui chegará a ele. Para voltar ao assistente digite "
        "«cancelar».",
    },
    "handoff_started_closed": {
        "es": "Listo, le comunicaré con una persona del equipo de soporte. Ahora estamos fuera de "
        "horario: el equipo vuelve el {when} y un agente le escribirá por este chat. Todo lo "
        "que escriba aquí quedará guardado para ellos. Si es una falla que detiene su "
        "operación (P1), puede registrarla ahora mismo: escriba «nuevo».",
        "en": "Done, I will put you in touch with a person from the support team. We are outside "
        "business hours now: the team is back on {when} and an agent will write to you in "
        "this chat. Everything you write here is kept for them. If a failure has stopped your"
        " operation (P1), you can register it right now: type “new”.",
        "pt": "Pronto, vou colocar você em contato com uma pessoa da equipe de suporte. Agora "
        "estamos fora do horário: a equipe volta {when} e um atendente vai escrever neste "
        "chat. Tudo o que você escrever aqui ficará guardado para eles. Se for uma falha que "
        "parou sua operação (P1), você pode registrá-la agora mesmo: digite «novo».",
    },
    "handoff_waiting_open": {
        "es": "Recibido, se lo pasamos al agente. Le escribirá por este chat, normalmente en "
        "menos de {minutes} minutos. Para volver al asistente escriba «cancelar».",
        "en": "Received, we passed it to the agent. They will write to you in this chat, "
        "usually within {minutes} minutes. To return to the assistant type “cancel”.",
        "pt": "Recebido, repassamos ao atendente. Ele vai escrever neste chat, normalmente em "
        "menos de {minutes} minutos. Para voltar ao assistente digite «cancelar».",
    },
    "handoff_waiting_closed": {
        "es": "Recibido y guardado para el equipo, que vuelve el {when}; un agente le escribirá "
        "por este chat. Si es una falla que detiene su operación (P1), escriba «nuevo» para "
        "registrarla ahora como ticket.",
        "en": "Received and kept for the team, which is back on {when}; an agent will write to "
        "you in this chat. If a failure has stopped your operation (P1), type “new” to "
        "register it now as a ticket.",
        "pt": "Recebido e guardado para a equipe, que volta {when}; um atendente vai escrever "
        "neste chat. Se for uma falha que parou sua operação (P1), digite «novo» para "
        "registrá-la agora como chamado.",
    },
    "handoff_already_open": {
        "es": "Ya avisamos al equipo de soporte; un agente le escribirá por este chat, "
        "normalmente en menos de {minutes} minutos. Para volver al asistente escriba «cancelar».",
        "en": "The support team has already been told; an agent will write to you in this chat, "
        "usually within {minutes} minutes. To return to the assistant type “cancel”.",
        "pt": "A equipe de suporte já foi avisada; um atendente vai escrever neste chat, "
        "normalmente em menos de {minutes} minutos. Para voltar ao assistente digite "
        "«cancelar».",
    },
    "handoff_already_closed": {
        "es": "Ya avisamos al equipo de soporte, que vuelve el {when}; un agente le escribirá por "
        "este chat. Si es una falla que detiene su operación (P1), escriba «nuevo» para "
        "registrarla ahora.",
        "en": "The support team has already been told and is back on {when}; an agent will write "
        "to you in this chat. If a failure has stopped your operation (P1), type “new” to "
        "register it now.",
        "pt": "A equipe de suporte já foi avisada e volta {when}; um atendente vai escrever neste "
        "chat. Se for uma falha que parou sua operação (P1), digite «novo» para registrá-la "
        "agora.",
    },
    "closed_now": {
        "es": "Ahora estamos fuera de horario: el equipo de soporte vuelve el {when}.",
        "en": "We are outside business hours now: the support team is back on {when}.",
        "pt": "Agora estamos fora do horário: a equipe de suporte volta {when}.",
    },
    "closed_registered": {
        "es": "Ahora estamos fuera de horario: el equipo de soporte vuelve el {when}. Lo "
        "registramos de inmediato y los plazos corren en horario hábil.",
        "en": "We are outside business hours now: the support team is back on {when}. We register "
        "it right away and deadlines run in business hours.",
        "pt": "Agora estamos fora do horário: a equipe de suporte volta {when}. Registramos "
        "agora mesmo e os prazos correm em horário comercial.",
    },
}

_OPTIONS: dict[str, dict[str, str]] = {
    "opt.yes": {"es": "Sí", "en": "Yes", "pt": "Sim"},
    "opt.no": {"es": "No", "en": "No", "pt": "Não"},
    "opt.incident": {"es": "Reportar una falla", "en": "Report a failure", "pt": "Relatar falha"},
    "opt.request": {"es": "Consulta / solicitud", "en": "Question / request", "pt": "Dúvida/solicitação"},
    "opt.continue": {"es": "Sí, continuar", "en": "Yes, continue", "pt": "Sim, continuar"},
    "opt.is_incident": {"es": "Es una falla", "en": "It is a failure", "pt": "É uma falha"},
    "opt.cancel": {"es": "Cancelar", "en": "Cancel", "pt": "Cancelar"},
    "opt.same": {"es": "Sí, es el mismo", "en": "Yes, the same", "pt": "Sim, é o mesmo"},
    "opt.different": {"es": "No, es otro", "en": "No, a different one", "pt": "Não, é outro"},
    "opt.module.sales": {"es": "Ventas", "en": "Sales", "pt": "Vendas"},
    "opt.module.purchase": {"es": "Compras", "en": "Purchases", "pt": "Compras"},
    "opt.module.inventory": {"es": "Inventario", "en": "Inventory", "pt": "Estoque"},
    "opt.module.accounting": {"es": "Contabilidad", "en": "Accounting", "pt": "Contabilidade"},
    "opt.module.einvoice": {"es": "Factura electrónica", "en": "E-invoicing", "pt": "Nota fiscal eletr."},
    "opt.module.hr": {"es": "RR.HH.", "en": "HR / payroll", "pt": "RH"},
    "opt.module.other": {"es": "Otro", "en": "Other", "pt": "Outro"},
    "opt.module.unknown": {"es": "No sé", "en": "Not sure", "pt": "Não sei"},
    "opt.done": {"es": "Listo", "en": "Done", "pt": "Pronto"},
    "opt.skip": {"es": "Omitir", "en": "Skip", "pt": "Pular"},
    "opt.impact.high": {"es": "Toda la operación", "en": "Whole operation", "pt": "Toda a operação"},
    "opt.impact.medium": {"es": "Varias áreas", "en": "Several areas", "pt": "Várias áreas"},
    "opt.impact.low": {"es": "Un usuario o menor", "en": "One user or minor", "pt": "Um usuário/menor"},
    "opt.urgency.high": {"es": "Sí, hoy mismo", "en": "Yes, today", "pt": "Sim, hoje"},
    "opt.urgency.medium": {"es": "En unos días", "en": "In a few days", "pt": "Em alguns dias"},
    "opt.urgency.low": {"es": "Puede esperar", "en": "It can wait", "pt": "Pode esperar"},
    "opt.confirm": {"es": "Confirmar", "en": "Confirm", "pt": "Confirmar"},
    "opt.edit": {"es": "Editar", "en": "Edit", "pt": "Editar"},
    "opt.edit.type": {"es": "Tipo", "en": "Type", "pt": "Tipo"},
    "opt.edit.description": {"es": "Descripción", "en": "Description", "pt": "Descrição"},
    "opt.edit.module": {"es": "Módulo", "en": "Module", "pt": "Módulo"},
    "opt.edit.evidence": {"es": "Archivos", "en": "Files", "pt": "Arquivos"},
    "opt.edit.impact": {"es": "Impacto", "en": "Impact", "pt": "Impacto"},
    "opt.edit.urgency": {"es": "Urgencia", "en": "Urgency", "pt": "Urgência"},
    "opt.new_problem": {"es": "Problema nuevo", "en": "New problem", "pt": "Problema novo"},
    "opt.lang.es": {"es": "Español", "en": "Español", "pt": "Español"},
    "opt.lang.en": {"es": "English", "en": "English", "pt": "English"},
    "opt.lang.pt": {"es": "Português", "en": "Português", "pt": "Português"},
    "opt.rating.1": {"es": "1 · Muy mala", "en": "1 · Very poor", "pt": "1 · Muito ruim"},
    "opt.rating.2": {"es": "2 · Mala", "en": "2 · Poor", "pt": "2 · Ruim"},
    "opt.rating.3": {"es": "3 · Regular", "en": "3 · Fair", "pt": "3 · Regular"},
    "opt.rating.4": {"es": "4 · Buena", "en": "4 · Good", "pt": "4 · Boa"},
    "opt.rating.5": {"es": "5 · Excelente", "en": "5 · Excellent", "pt": "5 · Excelente"},
}

# Notifications the service pushes on lifecycle events (and the dialog's own service prompts).
_NOTIFICATIONS: dict[str, dict[str, str]] = {
    "ticket_registered": {
        "es": "✅ Registramos su ticket {number}.\nPrioridad: {priority}\n{response}\n"
        "{resolution}\nPara ver su estado escriba «estado {number}».",
        "en": "✅ We registered your ticket {number}.\nPriority: {priority}\n{response}\n"
        "{resolution}\nTo check its status type “status {number}”.",
        "pt": "✅ Registramos seu chamado {number}.\nPrioridade: {priority}\n{response}\n"
        "{resolution}\nPara ver a situação digite «status {number}».",
    },
    "info_requested": {
        "es": "El especialista necesita más información sobre su ticket {number}:\n\n"
        "{question}\n\nResponda en este chat; también puede enviar archivos.",
        "en": "The specialist needs more information about your ticket {number}:\n\n"
        "{question}\n\nReply in this chat; you can also send files.",
        "pt": "O especialista precisa de mais informações sobre seu chamado {number}:\n\n"
        "{question}\n\nResponda neste chat; também pode enviar arquivos.",
    },
    "ticket_taken": {
        "es": "{agent} tomó su ticket {number} y comenzó el análisis. Le avisaremos por este chat.",
        "en": "{agent} took your ticket {number} and started the analysis. We will update you in this chat.",
        "pt": "{agent} assumiu o seu chamado {number} e começou a análise. Avisaremos por este chat.",
    },
    "progress": {
        "es": "Avance en su ticket {number}: {note}",
        "en": "Update on your ticket {number}: {note}",
        "pt": "Andamento do seu chamado {number}: {note}",
    },
    "escalated": {
        "es": "Su ticket {number} fue escalado para darle más prioridad. Le mantendremos "
        "informado.",
        "en": "Your ticket {number} was escalated to give it more priority. We will keep you "
        "posted.",
        "pt": "Seu chamado {number} foi escalado para ter mais prioridade. Manteremos você "
        "informado.",
    },
    "solution_proposed": {
        "es": "El especialista propone esta solución para su ticket {ticket}:\n\n{summary}\n\n"
        "¿Se resolvió su problema?",
        "en": "The specialist proposes this solution for your ticket {ticket}:\n\n{summary}\n\n"
        "Is your problem solved?",
        "pt": "O especialista propõe esta solução para seu chamado {ticket}:\n\n{summary}\n\n"
        "Seu problema foi resolvido?",
    },
    "validation_reminder": {
        "es": "Recordatorio: propusimos una solución para su ticket {ticket}:\n\n{summary}\n\n"
        "¿Se resolvió su problema? Si no recibimos respuesta, el ticket se cerrará "
        "automáticamente.",
        "en": "Reminder: we proposed a solution for your ticket {ticket}:\n\n{summary}\n\n"
        "Is your problem solved? Without an answer the ticket will be closed automatically.",
        "pt": "Lembrete: propusemos uma solução para seu chamado {ticket}:\n\n{summary}\n\n"
        "Seu problema foi resolvido? Sem resposta, o chamado será fechado automaticamente.",
    },
    "ticket_closed": {
        "es": "Su ticket {number} fue cerrado. ¡Gracias por confiar en nosotros!",
        "en": "Your ticket {number} was closed. Thank you for trusting us!",
        "pt": "Seu chamado {number} foi fechado. Obrigado pela confiança!",
    },
    "ticket_reopened": {
        "es": "Reabrimos su ticket {number}; seguimos trabajando en él.",
        "en": "We reopened your ticket {number}; we keep working on it.",
        "pt": "Reabrimos seu chamado {number}; seguimos trabalhando nele.",
    },
    "auto_closed": {
        "es": "Cerramos su ticket {number} porque no recibimos respuesta a la solución "
        "propuesta. Si el problema continúa, escríbanos.",
        "en": "We closed your ticket {number} because we got no answer about the proposed "
        "solution. If the problem persists, write to us.",
        "pt": "Fechamos seu chamado {number} porque não recebemos resposta sobre a solução "
        "proposta. Se o problema continuar, escreva para nós.",
    },
    "survey_question": {
        "es": "Su ticket {ticket} fue cerrado. ¿Cómo califica la atención recibida, de 1 (muy "
        "mala) a 5 (excelente)?",
        "en": "Your ticket {ticket} was closed. How do you rate the support you received, "
        "from 1 (very poor) to 5 (excellent)?",
        "pt": "Seu chamado {ticket} foi fechado. Como avalia o atendimento recebido, de 1 "
        "(muito ruim) a 5 (excelente)?",
    },
    "survey_reminder": {
        "es": "¿Nos regala un momento? Califique la atención de su ticket {ticket} de 1 a 5.",
        "en": "Could you spare a moment? Rate the support on your ticket {ticket} from 1 to 5.",
        "pt": "Pode nos dar um minuto? Avalie o atendimento do chamado {ticket} de 1 a 5.",
    },
    "survey_thanks": {
        "es": "¡Gracias por su opinión! Nos ayuda a mejorar.",
        "en": "Thank you for your feedback! It helps us improve.",
        "pt": "Obrigado pela sua opinião! Ela nos ajuda a melhorar.",
    },
    "contingency_started": {
        "es": "Aviso importante: hay una falla externa mayor ({reason}). Activamos nuestro "
        "protocolo de contingencia y le mantendremos informado en todo momento. Mientras dure, "
        "no podemos asegurar el cumplimiento de los plazos (SLA) de su ticket {number}.",
        "en": "Important notice: there is a major external failure ({reason}). We activated "
        "our contingency protocol and will keep you informed at all times. While it lasts we "
        "cannot guarantee the deadlines (SLA) of your ticket {number}.",
        "pt": "Aviso importante: há uma falha externa grave ({reason}). Ativamos nosso "
        "protocolo de contingência e manteremos você informado o tempo todo. Enquanto durar, "
        "não podemos garantir os prazos (SLA) do seu chamado {number}.",
    },
    "contingency_ended": {
        "es": "La contingencia ({reason}) terminó y retomamos la atención normal de su ticket "
        "{number}. Le mantendremos informado en todo momento.",
        "en": "The contingency ({reason}) is over and we resumed normal work on your ticket "
        "{number}. We will keep you informed at all times.",
        "pt": "A contingência ({reason}) terminou e retomamos o atendimento normal do seu "
        "chamado {number}. Manteremos você informado o tempo todo.",
    },
    "file_refused": {
        "es": "No pudimos recibir el archivo {filename}: {reason}. Puede enviarlo como imagen "
        "o PDF.",
        "en": "We could not accept the file {filename}: {reason}. You can send it as an image "
        "or PDF.",
        "pt": "Não conseguimos receber o arquivo {filename}: {reason}. Você pode enviá-lo como "
        "imagem ou PDF.",
    },
    "refusal.too_large": {
        "es": "supera el tamaño máximo permitido",
        "en": "it is larger than the allowed size",
        "pt": "ultrapassa o tamanho máximo permitido",
    },
    "refusal.forbidden_type": {
        "es": "ese tipo de archivo no se acepta",
        "en": "that file type is not accepted",
        "pt": "esse tipo de arquivo não é aceito",
    },
    "refusal.download_failed": {
        "es": "no pudimos descargarlo",
        "en": "we could not download it",
        "pt": "não conseguimos baixá-lo",
    },
    "file_received": {
        "es": "Recibimos su archivo {filename} en el ticket {number}.",
        "en": "We received your file {filename} on ticket {number}.",
        "pt": "Recebemos seu arquivo {filename} no chamado {number}.",
    },
    "whatsapp_unreachable": {
        "es": "Could not reach {contact} on WhatsApp: outside the 24-hour window and no "
        "approved template for '{kind}'.",
        "en": "Could not reach {contact} on WhatsApp: outside the 24-hour window and no "
        "approved template for '{kind}'.",
        "pt": "Could not reach {contact} on WhatsApp: outside the 24-hour window and no "
        "approved template for '{kind}'.",
    },
    "agent_reply": {
        "es": "{agent} (soporte): {message}",
        "en": "{agent} (support): {message}",
        "pt": "{agent} (suporte): {message}",
    },
    # --- issue 10: sla and lifecycle ---
    "priority_changed": {
        "es": "Cambiamos la prioridad de su ticket {number} de {old} a {new}.\nMotivo: {reason}\n"
        "Nuevos plazos: {deadlines}.",
        "en": "We changed the priority of your ticket {number} from {old} to {new}.\nReason: {reason}\n"
        "New deadlines: {deadlines}.",
        "pt": "Alteramos a prioridade do seu chamado {number} de {old} para {new}.\nMotivo: {reason}\n"
        "Novos prazos: {deadlines}.",
    },
    "deadlines_joined": {
        "es": "{first} y {second}",
        "en": "{first} and {second}",
        "pt": "{first} e {second}",
    },
    "ticket_cancelled": {
        "es": "Cancelamos su ticket {number}.\nMotivo: {reason}\nSi necesita algo más, escríbanos por "
        "este chat.",
        "en": "We cancelled your ticket {number}.\nReason: {reason}\nIf you need anything else, write "
        "to us in this chat.",
        "pt": "Cancelamos seu chamado {number}.\nMotivo: {reason}\nSe precisar de algo mais, escreva "
        "neste chat.",
    },
    "validation_reminder_until": {
        "es": "Recordatorio: propusimos una solución para su ticket {ticket}:\n\n{summary}\n\n"
        "¿Se resolvió su problema? Si no recibimos respuesta, el ticket se cerrará "
        "automáticamente el {closes_at}.",
        "en": "Reminder: we proposed a solution for your ticket {ticket}:\n\n{summary}\n\n"
        "Is your problem solved? Without an answer the ticket will be closed automatically on "
        "{closes_at}.",
        "pt": "Lembrete: propusemos uma solução para seu chamado {ticket}:\n\n{summary}\n\n"
        "Seu problema foi resolvido? Sem resposta, o chamado será fechado automaticamente em "
        "{closes_at}.",
    },
    "clock.answered": {"es": "respondido", "en": "answered", "pt": "respondido"},
    "clock.overdue": {"es": "vencido", "en": "overdue", "pt": "vencido"},
    "clock.paused_customer": {
        "es": "en pausa: esperando su respuesta",
        "en": "paused: waiting for your answer",
        "pt": "em pausa: aguardando sua resposta",
    },
    "clock.paused_validation": {
        "es": "en pausa: esperando su validación",
        "en": "paused: waiting for your confirmation",
        "pt": "em pausa: aguardando sua validação",
    },
    "clock.paused_contingency": {
        "es": "en pausa: contingencia declarada",
        "en": "paused: contingency declared",
        "pt": "em pausa: contingência declarada",
    },
    # --- issue 16: security ---
    "group_status_private": {
        "es": "Por privacidad, el estado de los tickets solo se informa en un chat privado. "
        "Escríbame directamente (toque mi nombre y luego «Enviar mensaje»).",
        "en": "For privacy, ticket status is only given in a private chat. Write to me directly "
        "(tap my name, then «Send message»).",
        "pt": "Por privacidade, o status dos chamados só é informado em um chat privado. Escreva "
        "diretamente para mim (toque no meu nome e depois em «Enviar mensagem»).",
    },
    "text_clipped": {
        "es": "Su mensaje era muy largo: guardamos los primeros {limit} caracteres. Si falta algo "
        "importante, envíelo en otro mensaje o como archivo.",
        "en": "Your message was very long: we kept the first {limit} characters. If something "
        "important is missing, send it in another message or as a file.",
        "pt": "Sua mensagem era muito longa: guardamos os primeiros {limit} caracteres. Se faltar "
        "algo importante, envie em outra mensagem ou como arquivo.",
    },
    "files_limit": {
        "es": "Ya recibimos el máximo de {limit} archivos para esta solicitud; no guardamos los "
        "{skipped} último(s). Si son necesarios, envíelos cuando un agente los pida.",
        "en": "We already have the maximum of {limit} files for this request; the last {skipped} "
        "were not kept. If they are needed, send them when an agent asks.",
        "pt": "Já recebemos o máximo de {limit} arquivos para esta solicitação; não guardamos "
        "o(s) último(s) {skipped}. Se forem necessários, envie quando um agente pedir.",
    },
    # --- issue 16: fairness ---
    "inbound_flood": {
        "es": "Recibimos muchos mensajes seguidos; los leeremos en orden.",
        "en": "We received many messages in a row; we will read them in order.",
        "pt": "Recebemos muitas mensagens seguidas; vamos lê-las em ordem.",
    },
}

# E-mail subjects: `email_subject.<notification kind>` with the ticket {number}, the generic
# `email_subject.ticket`, and `email_subject.default` when there is no ticket number at all.
_EMAIL: dict[str, dict[str, str]] = {
    "email_subject.registration": {
        "es": "Su ticket {number} fue registrado",
        "en": "Your ticket {number} was registered",
        "pt": "Seu chamado {number} foi registrado",
    },
    "email_subject.info_request": {
        "es": "Su ticket {number}: necesitamos más información",
        "en": "Your ticket {number}: we need more information",
        "pt": "Seu chamado {number}: precisamos de mais informações",
    },
    "email_subject.progress": {
        "es": "Avance en su ticket {number}",
        "en": "Update on your ticket {number}",
        "pt": "Andamento do seu chamado {number}",
    },
    "email_subject.escalation": {
        "es": "Su ticket {number} fue escalado",
        "en": "Your ticket {number} was escalated",
        "pt": "Seu chamado {number} foi escalado",
    },
    "email_subject.solution": {
        "es": "Solución propuesta para su ticket {number}",
        "en": "Proposed solution for your ticket {number}",
        "pt": "Solução proposta para seu chamado {number}",
    },
    "email_subject.survey": {
        "es": "Encuesta de satisfacción de su ticket {number}",
        "en": "Satisfaction survey for your ticket {number}",
        "pt": "Pesquisa de satisfação do seu chamado {number}",
    },
    "email_subject.ticket": {
        "es": "Su ticket {number}",
        "en": "Your ticket {number}",
        "pt": "Seu chamado {number}",
    },
    "email_subject.default": {
        "es": "Mesa de ayuda",
        "en": "Help desk",
        "pt": "Central de atendimento",
    },
    # --- issue 15: monthly report (intake/services/report_output.py) ---
    "report.title": {
        "es": "Informe mensual de servicio",
        "en": "Monthly service report",
        "pt": "Relatório mensal de serviço",
    },
    "report.months": {
        "es": "enero,febrero,marzo,abril,mayo,junio,julio,agosto,septiembre,octubre,noviembre,diciembre",
        "en": "January,February,March,April,May,June,July,August,September,October,November,December",
        "pt": "janeiro,fevereiro,março,abril,maio,junho,julho,agosto,setembro,outubro,novembro,dezembro",
    },
    "report.desk": {
        "es": "Toda la mesa de ayuda",
        "en": "Whole desk",
        "pt": "Toda a central de atendimento",
    },
    "report.scope": {
        "es": (
            "Mes calendario en hora de {timezone}. Tiempos en horas hábiles del calendario de cada ticket; "
            "los tickets afectados por una contingencia no cuentan para el SLA."
        ),
        "en": (
            "Calendar month in {timezone} time. Times in business hours of each ticket's calendar; tickets "
            "touched by a contingency do not count for the SLA."
        ),
        "pt": (
            "Mês civil no horário de {timezone}. Tempos em horas úteis do calendário de cada chamado; "
            "chamados afetados por uma contingência não contam para o SLA."
        ),
    },
    "report.section.summary": {
        "es": "Resumen por prioridad",
        "en": "Summary by priority",
        "pt": "Resumo por prioridade",
    },
    "report.section.charts": {
        "es": "Gráficos",
        "en": "Charts",
        "pt": "Gráficos",
    },
    "report.section.breaches": {
        "es": "Incumplimientos de SLA",
        "en": "SLA breaches",
        "pt": "Descumprimentos de SLA",
    },
    "report.section.hours": {
        "es": "Horas y bolsa de horas",
        "en": "Hours and hours bank",
        "pt": "Horas e banco de horas",
    },
    "report.no_breaches": {
        "es": "Sin incumplimientos este mes.",
        "en": "No breaches this month.",
        "pt": "Nenhum descumprimento neste mês.",
    },
    "report.col.priority": {
        "es": "Prioridad",
        "en": "Priority",
        "pt": "Prioridade",
    },
    "report.col.opened": {
        "es": "Abiertos",
        "en": "Opened",
        "pt": "Abertos",
    },
    "report.col.closed": {
        "es": "Cerrados",
        "en": "Closed",
        "pt": "Fechados",
    },
    "report.col.exempt": {
        "es": "Exentos (contingencia)",
        "en": "Exempt (contingency)",
        "pt": "Isentos (contingência)",
    },
    "report.col.response_pct": {
        "es": "% respuesta en plazo",
        "en": "% answered in target",
        "pt": "% respondidos no prazo",
    },
    "report.col.resolution_pct": {
        "es": "% resuelto en plazo",
        "en": "% resolved in target",
        "pt": "% resolvidos no prazo",
    },
    "report.col.response_median": {
        "es": "Respuesta mediana (h)",
        "en": "Response median (h)",
        "pt": "Resposta mediana (h)",
    },
    "report.col.response_p90": {
        "es": "Respuesta p90 (h)",
        "en": "Response p90 (h)",
        "pt": "Resposta p90 (h)",
    },
    "report.col.resolution_median": {
        "es": "Resolución mediana (h)",
        "en": "Resolution median (h)",
        "pt": "Resolução mediana (h)",
    },
    "report.col.resolution_p90": {
        "es": "Resolución p90 (h)",
        "en": "Resolution p90 (h)",
        "pt": "Resolução p90 (h)",
    },
    "report.col.backlog": {
        "es": "Pendientes al cierre (0–2 / 3–7 / 8–30 / >30 días)",
        "en": "Open at month end (0–2 / 3–7 / 8–30 / >30 days)",
        "pt": "Pendentes no fechamento (0–2 / 3–7 / 8–30 / >30 dias)",
    },
    "report.col.reopen": {
        "es": "Reaperturas",
        "en": "Reopened",
        "pt": "Reaberturas",
    },
    "report.col.survey": {
        "es": "Encuesta: promedio (respuestas/enviadas)",
        "en": "Survey: average (answers/sent)",
        "pt": "Pesquisa: média (respostas/enviadas)",
    },
    "report.col.hours": {
        "es": "Horas (cargadas a la bolsa)",
        "en": "Hours (charged to the bank)",
        "pt": "Horas (debitadas do banco)",
    },
    "report.total": {
        "es": "Total",
        "en": "Total",
        "pt": "Total",
    },
    "report.col.ticket": {
        "es": "Ticket",
        "en": "Ticket",
        "pt": "Chamado",
    },
    "report.col.clock": {
        "es": "Reloj",
        "en": "Clock",
        "pt": "Relógio",
    },
    "report.col.elapsed": {
        "es": "Horas hábiles / objetivo",
        "en": "Business hours / target",
        "pt": "Horas úteis / meta",
    },
    "report.col.reasons": {
        "es": "Historial",
        "en": "History",
        "pt": "Histórico",
    },
    "report.clock.response": {
        "es": "Respuesta",
        "en": "Response",
        "pt": "Resposta",
    },
    "report.clock.resolution": {
        "es": "Resolución",
        "en": "Resolution",
        "pt": "Resolução",
    },
    "report.still_open": {
        "es": "sigue abierto",
        "en": "still open",
        "pt": "ainda aberto",
    },
    "report.hours.used": {
        "es": "Horas registradas en el mes",
        "en": "Hours logged in the month",
        "pt": "Horas registradas no mês",
    },
    "report.hours.charged": {
        "es": "De ellas, cargadas a la bolsa",
        "en": "Of which charged to the bank",
        "pt": "Das quais debitadas do banco",
    },
    "report.hours.credited": {
        "es": "Bolsa acreditada hasta el cierre",
        "en": "Bank credited up to month end",
        "pt": "Banco creditado até o fechamento",
    },
    "report.hours.charged_total": {
        "es": "Cargado a la bolsa hasta el cierre",
        "en": "Charged to the bank up to month end",
        "pt": "Debitado do banco até o fechamento",
    },
    "report.hours.balance": {
        "es": "Saldo al cierre del mes",
        "en": "Balance at month end",
        "pt": "Saldo no fechamento do mês",
    },
    "report.chart.sla": {
        "es": "% dentro del objetivo",
        "en": "% within target",
        "pt": "% dentro da meta",
    },
    "report.chart.volume": {
        "es": "Tickets abiertos y cerrados",
        "en": "Tickets opened and closed",
        "pt": "Chamados abertos e fechados",
    },
    "report.chart.backlog": {
        "es": "Pendientes al cierre por antigüedad (días)",
        "en": "Open at month end by age (days)",
        "pt": "Pendentes no fechamento por idade (dias)",
    },
    "report.history.priority_changed": {
        "es": "{at} prioridad {detail}",
        "en": "{at} priority {detail}",
        "pt": "{at} prioridade {detail}",
    },
    "report.history.reopened": {
        "es": "{at} reabierto por el cliente",
        "en": "{at} reopened by the customer",
        "pt": "{at} reaberto pelo cliente",
    },
    "report.history.escalated": {
        "es": "{at} escalado",
        "en": "{at} escalated",
        "pt": "{at} escalado",
    },
    "report.history.sla_alert": {
        "es": "{at} alerta de incumplimiento ({clock})",
        "en": "{at} breach alert ({clock})",
        "pt": "{at} alerta de descumprimento ({clock})",
    },
    "report.email.body": {
        "es": (
            "Informe mensual de servicio — {month} — {company}\n\nHola, {name}:\n\nAdjuntamos el informe "
            "mensual de servicio de {company} correspondiente a {month}: cumplimiento de SLA por "
            "prioridad, tiempos, incumplimientos, pendientes, encuestas y horas.\n\nSaludos,\nMesa de ayuda"
        ),
        "en": (
            "Monthly service report — {month} — {company}\n\nHello {name},\n\nAttached is the monthly "
            "service report of {company} for {month}: SLA compliance by priority, times, breaches, open "
            "tickets, surveys and hours.\n\nBest regards,\nHelp desk"
        ),
        "pt": (
            "Relatório mensal de serviço — {month} — {company}\n\nOlá, {name}:\n\nSegue em anexo o "
            "relatório mensal de serviço da {company} referente a {month}: cumprimento de SLA por "
            "prioridade, tempos, descumprimentos, pendências, pesquisas e "
            "horas.\n\nAtenciosamente,\nCentral de atendimento"
        ),
    },
}

# --- issue 14: e-mail ---
_EMAIL_IN: dict[str, dict[str, str]] = {
    # channels/email_in.py REPLY_MARKERS cuts a reply here: keep the three in step.
    "email_reply_marker": {
        "es": "— Responda sobre esta línea —",
        "en": "— Reply above this line —",
        "pt": "— Responda acima desta linha —",
    },
    "email_ack": {
        "es": "Recibimos su correo y registramos el ticket {number}.\n"
        "Prioridad inicial: {priority} (pendiente de clasificación).",
        "en": "We received your e-mail and registered ticket {number}.\n"
        "Initial priority: {priority} (triage pending).",
        "pt": "Recebemos seu e-mail e registramos o chamado {number}.\n"
        "Prioridade inicial: {priority} (classificação pendente).",
    },
    "email_triage": {
        "es": "Para priorizarlo, responda este correo sobre esta línea con dos números:\n"
        "Impacto: 1 alto (toda la empresa), 2 medio (un área), 3 bajo (una persona)\n"
        "Urgencia: 1 alta (detenido), 2 media (con dificultad), 3 baja (puede esperar)\n"
        "Por ejemplo «1 2», o en palabras («impacto alto, urgencia media»).",
        "en": "To prioritise it, reply above this line with two numbers:\n"
        "Impact: 1 high (whole company), 2 medium (one team), 3 low (one person)\n"
        "Urgency: 1 high (stopped), 2 medium (working with difficulty), 3 low (can wait)\n"
        "For example \u201c1 2\u201d, or in words (\u201chigh impact, medium urgency\u201d).",
        "pt": "Para priorizá-lo, responda acima desta linha com dois números:\n"
        "Impacto: 1 alto (toda a empresa), 2 médio (uma área), 3 baixo (uma pessoa)\n"
        "Urgência: 1 alta (parado), 2 média (com dificuldade), 3 baixa (pode esperar)\n"
        "Por exemplo «1 2», ou por extenso («impacto alto, urgência média»).",
    },
    # Added to the solution and survey e-mails of an e-mail ticket (intake/delivery/email_thread.py).
    "email_answer_validation": {
        "es": "Responda este correo sobre esta línea con «sí» si se resolvió, o con «no» y lo que sigue "
        "fallando. También puede responder en la página de seguimiento.",
        "en": "Reply above this line with \u201cyes\u201d if it is solved, or \u201cno\u201d and what "
        "still fails. You can also answer on the tracking page.",
        "pt": "Responda acima desta linha com «sim» se foi resolvido, ou com «não» e o que continua "
        "falhando. Também pode responder na página de acompanhamento.",
    },
    "email_answer_survey": {
        "es": "Responda este correo sobre esta línea con un número del 1 al 5 (por ejemplo «5» o «4/5») "
        "y, si quiere, un comentario. También puede responder en la página de seguimiento.",
        "en": "Reply above this line with a number from 1 to 5 (for example \u201c5\u201d or "
        "\u201c4/5\u201d) and, if you like, a comment. You can also answer on the tracking page.",
        "pt": "Responda acima desta linha com um número de 1 a 5 (por exemplo «5» ou «4/5») e, se "
        "quiser, um comentário. Também pode responder na página de acompanhamento.",
    },
}

# --- issue 15: commercial rules ---
# The plan's rule for requests (said before the customer confirms one, and on the ticket), billable
# incidents in the contract's words, and the hours-bank warnings to the company's report contacts.
_COMMERCIAL: dict[str, dict[str, str]] = {
    "request_rule.included": {
        "es": "Condiciones: este requerimiento está incluido en su plan de soporte, sin costo adicional.",
        "en": "Terms: this request is included in your support plan, at no extra cost.",
        "pt": "Condições: esta solicitação está incluída no seu plano de suporte, sem custo adicional.",
    },
    "request_rule.hours_bank": {
        "es": "Condiciones: este requerimiento se descuenta de la bolsa de horas de su empresa según el "
        "tiempo dedicado. Saldo actual: {balance}. Si el saldo llega a cero, le enviaremos una "
        "cotización o una recarga de horas antes de continuar.",
        "en": "Terms: this request is charged to your company's hours bank for the time spent. "
        "Current balance: {balance}. If the balance reaches zero, we will send you a quote or a "
        "top-up of hours before going on.",
        "pt": "Condições: esta solicitação é descontada do banco de horas da sua empresa conforme o "
        "tempo dedicado. Saldo atual: {balance}. Se o saldo chegar a zero, enviaremos um orçamento "
        "ou uma recarga de horas antes de continuar.",
    },
    "request_rule.hours_bank_empty": {
        "es": "Condiciones: este requerimiento se descuenta de la bolsa de horas de su empresa, que no "
        "tiene saldo ({balance}). Lo registramos y le enviaremos una cotización o una recarga de horas "
        "antes de comenzar el trabajo.",
        "en": "Terms: this request is charged to your company's hours bank, which has no balance left "
        "({balance}). We will register it and send you a quote or a top-up of hours before work starts.",
        "pt": "Condições: esta solicitação é descontada do banco de horas da sua empresa, que está sem "
        "saldo ({balance}). Vamos registrá-la e enviar um orçamento ou uma recarga de horas antes de "
        "começar o trabalho.",
    },
    "request_rule.hours_bank_private": {
        "es": "Condiciones: este requerimiento se descuenta de la bolsa de horas de su empresa según el "
        "tiempo dedicado. Por privacidad, el saldo se informa solo en un chat privado.",
        "en": "Terms: this request is charged to your company's hours bank for the time spent. For "
        "privacy, the balance is only given in a private chat.",
        "pt": "Condições: esta solicitação é descontada do banco de horas da sua empresa conforme o "
        "tempo dedicado. Por privacidade, o saldo só é informado em um chat privado.",
    },
    "request_rule.quote": {
        "es": "Condiciones: su plan de soporte no incluye requerimientos. Lo cotizaremos y le "
        "enviaremos la cotización para su aprobación antes de comenzar el trabajo.",
        "en": "Terms: your support plan does not include requests. We will quote it and send you the "
        "quote for approval before work starts.",
        "pt": "Condições: seu plano de suporte não inclui solicitações. Vamos orçá-la e enviar o "
        "orçamento para sua aprovação antes de começar o trabalho.",
    },
    "request_rule.unknown": {
        "es": "Condiciones: revisaremos su solicitud y le confirmaremos las condiciones (incluida en su "
        "plan, bolsa de horas o cotización) antes de comenzar el trabajo.",
        "en": "Terms: we will review your request and confirm the conditions (included in your plan, "
        "hours bank or a quote) before work starts.",
        "pt": "Condições: vamos revisar sua solicitação e confirmar as condições (incluída no seu "
        "plano, banco de horas ou orçamento) antes de começar o trabalho.",
    },
    "ticket_billable": {
        "es": "Revisamos su ticket {number}: la falla fue provocada por un error de uso, no por la "
        "plataforma. Como indica nuestro flujo de soporte, los errores provocados por los usuarios son "
        "atendidos, pero con cargo al cliente.\nMotivo: {reason}",
        "en": "We reviewed your ticket {number}: the failure was caused by a usage error, not by the "
        "platform. As our support flow states, errors caused by users are served, but charged to the "
        "customer.\nReason: {reason}",
        "pt": "Revisamos seu chamado {number}: a falha foi provocada por um erro de uso, não pela "
        "plataforma. Como indica nosso fluxo de suporte, os erros provocados pelos usuários são "
        "atendidos, mas com custo para o cliente.\nMotivo: {reason}",
    },
    "ticket_billable_undone": {
        "es": "Corregimos la clasificación de su ticket {number}: no se considera un error de usuario y "
        "no tendrá cargo.",
        "en": "We corrected the classification of your ticket {number}: it is not a user error and "
        "will not be charged.",
        "pt": "Corrigimos a classificação do seu chamado {number}: não é considerado um erro de "
        "usuário e não terá custo.",
    },
    "hours_bank.low": {
        "es": "Aviso para {company}: la bolsa de horas de soporte está por agotarse. Saldo actual: "
        "{balance}.",
        "en": "Notice for {company}: the support hours bank is running low. Current balance: {balance}.",
        "pt": "Aviso para {company}: o banco de horas de suporte está acabando. Saldo atual: {balance}.",
    },
    "hours_bank.empty": {
        "es": "Aviso para {company}: la bolsa de horas de soporte se agotó (saldo: {balance}). Los "
        "nuevos requerimientos se cotizarán o requerirán una recarga de horas antes de comenzar.",
        "en": "Notice for {company}: the support hours bank is used up (balance: {balance}). New "
        "requests will be quoted or need a top-up of hours before work starts.",
        "pt": "Aviso para {company}: o banco de horas de suporte acabou (saldo: {balance}). Novas "
        "solicitações serão orçadas ou precisarão de uma recarga de horas antes de começar.",
    },
}

TEXTS: dict[str, dict[str, str]] = {
    **_DIALOG,
    **_OPTIONS,
    **_NOTIFICATIONS,
    **_EMAIL,
    **_EMAIL_IN,
    **_COMMERCIAL,
}
NOTIFICATION_KEYS: frozenset[str] = frozenset(_NOTIFICATIONS) | {"handoff", "idle_expired"}


def supported_lang(code: str | None) -> str | None:
    """Map a language code such as 'pt-BR' or 'EN' to a supported language, or None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGS else None


def placeholders(template: str) -> frozenset[str]:
    """Names of the {placeholders} a template uses."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def text(key: str, lang: str, /, **variables: object) -> str:
    """The text `key` in `lang` (falling back to Spanish) with its {placeholders} filled in."""
    entry = TEXTS[key]
    template = entry.get(lang) or entry[DEFAULT_LANG]
    return template.format_map(_Strict(variables)) if placeholders(template) else template


class _Strict(dict[str, object]):
    """A format mapping that names the missing placeholder clearly."""

    def __missing__(self, key: str) -> object:
        raise KeyError(f"text placeholder {{{key}}} was not given")


def texts_for(lang: str) -> Mapping[str, str]:
    """All templates resolved for one language (for documentation and tests)."""
    return {key: entry.get(lang) or entry[DEFAULT_LANG] for key, entry in TEXTS.items()}
