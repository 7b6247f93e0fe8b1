/*
 * The clinic's booking widget for the amoCRM lead card (location lcard-1).
 *
 * The manager picks a date and, if they like, the service (by default the clinic's «Номенклатура AmoCRM»),
 * then a doctor from the list of doctors who work that day (for a service: those who perform it), then a
 * time from that doctor's free slots (a group service's begun slots show their places taken, «11:00 (3/8)»);
 * service, doctor and time can only be chosen, never typed, so the clinic's ERP always gets correct data. The button books the appointment (a posted Request in the ERP) and
 * shows its number, or the server's error as it is.
 *
 * The tab «Документы» lists the lead's Requests, renderings and invoices (number, date, amount, status, a PDF
 * link that opens without an ERP login), makes an invoice for the lead's client from services found by
 * search or on the basis of one of the lead's Requests («Выставить счёт»), and emails an invoice to the
 * client («Отправить клиенту»); the ERP adds each PDF to the lead as a note.
 *
 * Every call goes through amoCRM's $authorizedAjax, which adds the disposable token (X-Auth-Token,
 * a JWT the ERP checks); «Документы» also sends the lead token (X-Lead-Token) the ERP gave for this card's
 * lead. The ERP's address comes from the widget settings (backend_url).
 */
define([], function () {
  'use strict';

  var PREFIX = 'erp-clinic-booking';

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') {
        node.textContent = attrs[key];
      } else {
        node.setAttribute(key, attrs[key]);
      }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function option(value, text, disabled) {
    var node = el('option', {value: value, text: text});
    if (disabled) {
      node.disabled = true;
    }
    return node;
  }

  function fill(select, placeholder, items) {
    while (select.firstChild) {
      select.removeChild(select.firstChild);
    }
    select.appendChild(option('', placeholder, false));
    items.forEach(function (item) { select.appendChild(option(item.value, item.text, false)); });
    select.value = '';
    select.disabled = items.length === 0;
  }

  return function () {
    var self = this;
    var state = {day: '', doctors: [], services: [], busy: false, documents: [], found: [], lines: [],
                 leadToken: null};

    function t(key, values) {
      var texts = (self.i18n && self.i18n('card')) || {};
      var text = texts[key] || key;
      Object.keys(values || {}).forEach(function (name) { text = text.replace('{' + name + '}', values[name]); });
      return text;
    }

    function backend() {
      var settings = (self.get_settings && self.get_settings()) || {};
      return String(settings.backend_url || '').replace(/\/+$/, '');
    }

    function leadId() {
      var card = window.AMOCRM && AMOCRM.data && AMOCRM.data.current_card;
      var id = card && Number(card.id);
      return id > 0 ? id : null;
    }

    function part(name) {
      return document.getElementById(PREFIX + '-' + name);
    }

    function say(text, kind) {
      var box = part('message');
      if (box) {
        box.textContent = text;
        box.setAttribute('data-kind', kind || 'info');
        box.style.color = kind === 'error' ? '#c0392b' : (kind === 'success' ? '#1e8449' : '#555');
      }
    }

    function errorText(failure) {
      var body = failure && (failure.responseJSON || null);
      if (!body && failure && failure.responseText) {
        try { body = JSON.parse(failure.responseText); } catch (ignored) { body = null; }
      }
      if (body && body.message) {
        return body.message;
      }
      if (failure && failure.status) {
        return t('error') + ' ' + failure.status;
      }
      return t('network_error');
    }

    // amoCRM's $authorizedAjax returns a jqXHR (done/fail); a plain promise works too.
    function call(method, path, body, headers) {
      var settings = {url: backend() + path, type: method, method: method, dataType: 'json'};
      if (headers) {
        settings.headers = headers;
      }
      if (body) {
        settings.data = JSON.stringify(body);
        settings.contentType = 'application/json';
      }
      return new Promise(function (resolve, reject) {
        var request = self.$authorizedAjax(settings);
        if (request && typeof request.done === 'function') {
          request.done(function (data) { resolve(data); }).fail(function (xhr) { reject(xhr); });
        } else {
          Promise.resolve(request).then(resolve, reject);
        }
      });
    }

    function showDoctors() {
      var doctors = state.doctors.map(function (d) { return {value: String(d.id), text: d.name}; });
      fill(part('doctor'), doctors.length ? t('choose_doctor') : t('no_doctors'), doctors);
      fill(part('time'), t('choose_doctor'), []);
      part('submit').disabled = true;
    }

    function chosenService() {
      var id = part('service') ? part('service').value : '';
      return state.services.filter(function (s) { return String(s.id) === id; })[0] || null;
    }

    function showServices() {
      var items = state.services.map(function (s) {
        var text = s.name + (s.group_capacity ? ' (' + t('group', {places: s.group_capacity}) + ')' : '');
        return {value: String(s.id), text: text};
      });
      fill(part('service'), t('any_service'), items);
      part('service').disabled = false;
    }

    function loadServices() {
      if (!backend()) {
        return Promise.resolve();
      }
      return call('GET', '/api/amocrm/widget/services').then(function (answer) {
        state.services = answer || [];
        showServices();
      }, function (failure) {
        say(errorText(failure), 'error');
      });
    }

    function showTimes() {
      var id = part('doctor').value;
      var doctor = state.doctors.filter(function (d) { return String(d.id) === id; })[0];
      var service = chosenService();
      var slots = doctor ? doctor.slots.map(function (s) {
        var taken = (doctor.taken || {})[s];
        var places = taken && service && service.group_capacity ? ' (' + taken + '/' + service.group_capacity + ')' : '';
        return {value: s, text: s + places};
      }) : [];
      fill(part('time'), doctor ? (slots.length ? t('choose_time') : t('no_slots')) : t('choose_doctor'), slots);
      part('submit').disabled = true;
    }

    function loadSlots(keepMessage) {
      var day = part('date').value;
      state.day = day;
      state.doctors = [];
      showDoctors();
      if (!day) {
        return Promise.resolve();
      }
      if (!backend()) {
        say(t('not_configured'), 'error');
        return Promise.resolve();
      }
      if (!keepMessage) {
        say(t('loading'));
      }
      var service = chosenService();
      var query = '?date=' + encodeURIComponent(day) + (service ? '&service_id=' + service.id : '');
      return call('GET', '/api/amocrm/widget/slots' + query).then(function (answer) {
        if (part('date').value !== day || chosenService() !== service) {
          return;
        }
        state.doctors = (answer && answer.doctors) || [];
        showDoctors();
        if (!keepMessage) {
          say(state.doctors.length ? '' : t('no_doctors'));
        }
      }, function (failure) {
        say(errorText(failure), 'error');
      });
    }

    function book() {
      var lead = leadId();
      if (state.busy) {
        return;
      }
      if (!lead) {
        say(t('no_lead'), 'error');
        return;
      }
      var body = {
        lead_id: lead,
        date: part('date').value,
        doctor_id: Number(part('doctor').value),
        time: part('time').value
      };
      var service = chosenService();
      if (service) {
        body.service_id = service.id;
      }
      var client = part('client').value.trim();
      if (client) {
        body.client_name = client;
      }
      state.busy = true;
      part('submit').disabled = true;
      say(t('sending'));
      call('POST', '/api/amocrm/widget/appointments', body).then(function (answer) {
        state.busy = false;
        say(t('created', {number: answer.number}), 'success');
        return loadSlots(true);
      }, function (failure) {
        state.busy = false;
        say(errorText(failure), 'error');
        part('submit').disabled = !part('time').value;
      });
    }

    // -- «Документы»: the lead's documents, «Выставить счёт», «Отправить клиенту» ----------------------

    function sayDocs(text, kind) {
      var box = part('docs-message');
      if (box) {
        box.textContent = text;
        box.setAttribute('data-kind', kind || 'info');
        box.style.color = kind === 'error' ? '#c0392b' : (kind === 'success' ? '#1e8449' : '#555');
      }
    }

    // The lead token (30 minutes) scopes every «Документы» call to this card's lead.
    function leadHeaders() {
      var lead = leadId();
      if (!lead) {
        return Promise.reject({message: t('no_lead')});
      }
      if (state.leadToken && state.leadToken.lead === lead && state.leadToken.until > Date.now()) {
        return Promise.resolve({'X-Lead-Token': state.leadToken.token});
      }
      return call('POST', '/api/amocrm/widget/lead-token', {lead_id: lead}).then(function (answer) {
        state.leadToken = {lead: lead, token: answer.token, until: Date.now() + (answer.expires_in - 60) * 1000};
        return {'X-Lead-Token': answer.token};
      });
    }

    function leadCall(method, path, body) {
      return leadHeaders().then(function (headers) { return call(method, path, body, headers); });
    }

    function failDocs(failure) {
      sayDocs(failure && failure.message && !failure.status ? failure.message : errorText(failure), 'error');
    }

    function showDocuments() {
      var body = part('docs').querySelector('tbody');
      while (body.firstChild) {
        body.removeChild(body.firstChild);
      }
      if (!state.documents.length) {
        body.appendChild(el('tr', {}, [el('td', {text: t('no_documents')})]));
      }
      state.documents.forEach(function (d) {
        var link = el('a', {href: d.pdf_url, target: '_blank', rel: 'noopener', text: 'PDF'});
        var actions = [link];
        if (d.kind === 'invoices' && d.posted) {
          actions.push(el('button', {type: 'button', 'class': PREFIX + '-send', 'data-invoice-id': String(d.id),
                                     text: t('send')}));
        }
        body.appendChild(el('tr', {'data-kind': d.kind, 'data-id': String(d.id)}, [
          el('td', {text: d.title + ' № ' + d.number}),
          el('td', {text: d.date.split('-').reverse().join('.')}),
          el('td', {text: Number(d.amount).toLocaleString('ru-RU', {minimumFractionDigits: 2}) + ' ₽'}),
          el('td', {'class': PREFIX + '-status', text: d.status}),
          el('td', {}, actions)
        ]));
      });
      var basis = part('invoice-basis');
      var chosen = basis.value;
      var requests = state.documents.filter(function (d) { return d.kind === 'requests'; }).map(function (d) {
        return {value: String(d.id), text: t('basis_request', {number: d.number})};
      });
      fill(basis, t('basis_services'), requests);
      basis.disabled = false;
      basis.value = requests.some(function (r) { return r.value === chosen; }) ? chosen : '';
      showLines();
    }

    function loadDocuments() {
      return leadCall('GET', '/api/amocrm/widget/documents').then(function (answer) {
        state.documents = (answer && answer.documents) || [];
        showDocuments();
      }, failDocs);
    }

    function searchServices() {
      var q = part('service-search').value.trim();
      return call('GET', '/api/amocrm/widget/services?q=' + encodeURIComponent(q)).then(function (answer) {
        if (part('service-search').value.trim() !== q) {
          return;
        }
        state.found = answer || [];
        fill(part('service-found'), state.found.length ? t('choose_service') : t('nothing_found'),
          state.found.map(function (s) {
            return {value: String(s.id), text: s.name + ' — ' + Number(s.price).toLocaleString('ru-RU') + ' ₽'};
          }));
        part('line-add').disabled = true;
      }, failDocs);
    }

    function showLines() {
      var list = part('invoice-lines');
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      state.lines.forEach(function (line) {
        list.appendChild(el('li', {text: line.name + ' × ' + line.quantity}));
      });
      var byRequest = !!part('invoice-basis').value;
      part('invoice-services').hidden = byRequest;
      part('invoice-submit').disabled = state.busy || !(byRequest || state.lines.length);
    }

    function addLine() {
      var id = part('service-found').value;
      var service = (state.found || []).filter(function (s) { return String(s.id) === id; })[0];
      var quantity = part('quantity').value || '1';
      if (service) {
        state.lines.push({nomenclature_id: service.id, name: service.name, quantity: quantity});
        showLines();
      }
    }

    function invoice() {
      var basis = part('invoice-basis').value;
      var body = basis ? {request_id: Number(basis)} : {lines: state.lines.map(function (l) {
        return {nomenclature_id: l.nomenclature_id, quantity: String(l.quantity)};
      })};
      state.busy = true;
      showLines();
      sayDocs(t('sending'));
      leadCall('POST', '/api/amocrm/widget/invoices', body).then(function (answer) {
        state.busy = false;
        state.lines = [];
        sayDocs(t('invoice_created', {number: answer.number}), 'success');
        return loadDocuments();
      }, function (failure) {
        state.busy = false;
        showLines();
        failDocs(failure);
      });
    }

    function send(invoiceId, button) {
      button.disabled = true;
      sayDocs(t('sending'));
      leadCall('POST', '/api/amocrm/widget/invoices/' + invoiceId + '/send').then(function (answer) {
        button.disabled = false;
        sayDocs(t('sent', {to: answer.to}), 'success');
      }, function (failure) {
        button.disabled = false;
        failDocs(failure);
      });
    }

    function showTab(name) {
      ['booking', 'documents'].forEach(function (tab) {
        part('tab-' + tab).setAttribute('aria-selected', tab === name ? 'true' : 'false');
        part('panel-' + tab).hidden = tab !== name;
      });
      if (name === 'documents') {
        sayDocs(t('loading'));
        loadDocuments().then(function () {
          if (part('docs-message').getAttribute('data-kind') !== 'error') {
            sayDocs('');
          }
        });
      }
    }

    function form() {
      var field = function (name, control, hint) {
        var label = el('label', {'for': PREFIX + '-' + name, text: t(name) + (hint ? ' (' + hint + ')' : '')});
        label.style.display = 'block';
        label.style.margin = '8px 0 2px';
        control.style.width = '100%';
        control.style.boxSizing = 'border-box';
        return el('div', {}, [label, control]);
      };
      var booking = el('div', {id: PREFIX + '-panel-booking', role: 'tabpanel'}, [
        field('date', el('input', {id: PREFIX + '-date', type: 'date'})),
        field('service', el('select', {id: PREFIX + '-service'})),
        field('doctor', el('select', {id: PREFIX + '-doctor', disabled: 'disabled'})),
        field('time', el('select', {id: PREFIX + '-time', disabled: 'disabled'})),
        field('client', el('input', {id: PREFIX + '-client', type: 'text', maxlength: '250', autocomplete: 'off'}),
          t('client_hint')),
        el('button', {id: PREFIX + '-submit', type: 'button', disabled: 'disabled', text: t('button')}),
        el('div', {id: PREFIX + '-message', role: 'status', 'aria-live': 'polite'})
      ]);
      booking.querySelector('button').style.marginTop = '10px';
      booking.querySelector('[role=status]').style.marginTop = '8px';
      var documents = el('div', {id: PREFIX + '-panel-documents', role: 'tabpanel', hidden: 'hidden'}, [
        el('table', {id: PREFIX + '-docs', 'class': PREFIX + '-docs'}, [el('tbody', {})]),
        el('h4', {text: t('invoice_title')}),
        field('invoice-basis', el('select', {id: PREFIX + '-invoice-basis'})),
        el('div', {id: PREFIX + '-invoice-services'}, [
          field('service-search', el('input', {id: PREFIX + '-service-search', type: 'search', maxlength: '100',
                                               autocomplete: 'off'})),
          field('service-found', el('select', {id: PREFIX + '-service-found', disabled: 'disabled'})),
          field('quantity', el('input', {id: PREFIX + '-quantity', type: 'number', min: '0.001', step: '0.001',
                                         value: '1'})),
          el('button', {id: PREFIX + '-line-add', type: 'button', disabled: 'disabled', text: t('line_add')}),
          el('ul', {id: PREFIX + '-invoice-lines'})
        ]),
        el('button', {id: PREFIX + '-invoice-submit', type: 'button', disabled: 'disabled', text: t('invoice_button')}),
        el('div', {id: PREFIX + '-docs-message', role: 'status', 'aria-live': 'polite'})
      ]);
      var tabs = el('div', {'class': PREFIX + '-tabs', role: 'tablist'}, [
        el('button', {id: PREFIX + '-tab-booking', type: 'button', role: 'tab', 'aria-selected': 'true',
                      text: t('tab_booking')}),
        el('button', {id: PREFIX + '-tab-documents', type: 'button', role: 'tab', 'aria-selected': 'false',
                      text: t('tab_documents')})
      ]);
      return el('div', {id: PREFIX, 'class': PREFIX}, [tabs, booking, documents]);
    }

    function mount() {
      if (document.getElementById(PREFIX)) {
        return;
      }
      var root = form();
      if (typeof self.render_template === 'function') {
        self.render_template({
          caption: {class_name: PREFIX + '-caption'},
          body: '',
          render: '<div id="' + PREFIX + '-slot"></div>'
        });
      }
      (document.getElementById(PREFIX + '-slot') || document.body).appendChild(root);
      fill(part('service'), t('any_service'), []);
      part('service').disabled = false;
      fill(part('doctor'), t('choose_date'), []);
      fill(part('time'), t('choose_date'), []);
      fill(part('invoice-basis'), t('basis_services'), []);
      part('invoice-basis').disabled = false;
      fill(part('service-found'), t('type_to_search'), []);
      loadServices();
    }

    function onChange(event) {
      var id = event.target && event.target.id;
      if (id === PREFIX + '-date' || id === PREFIX + '-service') {
        loadSlots(false);
      } else if (id === PREFIX + '-doctor') {
        showTimes();
      } else if (id === PREFIX + '-time') {
        part('submit').disabled = !part('time').value || state.busy;
      } else if (id === PREFIX + '-service-found') {
        part('line-add').disabled = !part('service-found').value;
      } else if (id === PREFIX + '-invoice-basis') {
        showLines();
      }
    }

    function onInput(event) {
      if (event.target && event.target.id === PREFIX + '-service-search') {
        searchServices();
      }
    }

    function onClick(event) {
      var target = event.target;
      var id = target && target.id;
      if (id === PREFIX + '-submit') {
        book();
      } else if (id === PREFIX + '-tab-booking') {
        showTab('booking');
      } else if (id === PREFIX + '-tab-documents') {
        showTab('documents');
      } else if (id === PREFIX + '-line-add') {
        addLine();
      } else if (id === PREFIX + '-invoice-submit') {
        invoice();
      } else if (target && target.classList && target.classList.contains(PREFIX + '-send')) {
        send(target.getAttribute('data-invoice-id'), target);
      }
    }

    this.callbacks = {
      render: function () {
        var area = self.system ? self.system().area : 'lcard';
        if (!area || area === 'lcard') {
          mount();
        }
        return true;
      },
      init: function () {
        return true;
      },
      bind_actions: function () {
        if (!self.__erpBound) {
          document.addEventListener('change', onChange);
          document.addEventListener('input', onInput);
          document.addEventListener('click', onClick);
          self.__erpBound = true;
        }
        return true;
      },
      settings: function () {
        return true;
      },
      onSave: function () {
        return true;
      },
      destroy: function () {
        document.removeEventListener('change', onChange);
        document.removeEventListener('input', onInput);
        document.removeEventListener('click', onClick);
        self.__erpBound = false;
      }
    };
    return this;
  };
});
